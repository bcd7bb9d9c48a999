import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type ServerProcess, startServerProcess } from '../server-process.js';
import {
  APPT,
  appt,
  auditAll,
  bookMany,
  dayFromNow,
  fastCatalog,
  json,
  jsonLines,
  slots,
} from './cli-helpers.js';

// Bulk runs killed with SIGKILL part-way and re-run with the same plan: every item applied
// exactly once, nothing reported twice as applied, the audit chain intact.

let srv: ServerProcess;
let cat: Awaited<ReturnType<typeof fastCatalog>>;
const work = mkdtempSync(join(tmpdir(), 'appt-bulk-'));
let env: Record<string, string>;
const TTL = 5;

beforeAll(async () => {
  // a short hold TTL so the re-run meets holds of the killed run that have lapsed
  srv = await startServerProcess({ args: ['--reservation-ttl', String(TTL)] });
  cat = await fastCatalog(srv.url, srv.adminToken);
  env = { APPT_HOME: join(work, 'home'), APPT_SERVER: srv.url, APPT_TOKEN: cat.staff };
}, 120_000);
afterAll(async () => {
  await srv?.stop();
  await srv?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

interface Item {
  type: string;
  appointmentId: string;
  result: string;
  start?: string;
  error?: { code: string };
}

/** Starts a bulk run and SIGKILLs it once `after` item lines have been printed. */
async function runAndKill(args: string[], after: number): Promise<Item[]> {
  const child = execa(process.execPath, [APPT, ...args], {
    env: { NO_COLOR: '1', ...env },
    reject: false,
    buffer: false,
  });
  let out = '';
  let killed = false;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (!killed && out.split('\n').length - 1 >= after) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  const r = await child;
  expect(killed, 'the run ended before it could be killed').toBe(true);
  expect(r.signal).toBe('SIGKILL');
  // only complete lines count: a line cut by the kill was never reported
  return jsonLines<Item>(out.slice(0, out.lastIndexOf('\n') + 1)).filter((l) => l.type === 'item');
}

function assertOnce(first: Item[], second: Item[], total: number) {
  const applied1 = new Set(first.filter((i) => i.result === 'applied').map((i) => i.appointmentId));
  const applied2 = second.filter((i) => i.result === 'applied').map((i) => i.appointmentId);
  expect(second).toHaveLength(total);
  expect(second.filter((i) => i.result === 'failed')).toEqual([]);
  expect(applied2.filter((id) => applied1.has(id))).toEqual([]); // nothing reported twice as applied
  for (const i of second) if (applied1.has(i.appointmentId)) expect(i.result).toBe('already');
  expect(new Set(second.map((i) => i.appointmentId)).size).toBe(total);
  expect(applied1.size).toBeGreaterThan(0);
  expect(applied2.length).toBeGreaterThan(0);
}

describe('bulk', () => {
  it('1,000 cancellations killed part-way: the re-run finishes the rest, each cancelled once', async () => {
    const appts = await bookMany(srv.url, cat.staff, cat, 1000, 2, 16);
    expect(appts).toHaveLength(1000);
    const plan = join(work, 'cancel.csv');
    writeFileSync(
      plan,
      `appointmentId,action,to,reason\n${appts.map((a, i) => `${a.id},cancel,,${i % 2 ? '"room closed, sorry"' : ''}`).join('\n')}\n`,
    );
    const dry = await appt(
      ['bulk', 'cancel', '--file', plan, '--dry-run', '--json', '--concurrency', '16'],
      env,
    );
    expect(dry.exitCode).toBe(0);
    const dl = jsonLines(dry.stdout);
    expect(dl.filter((l) => l.result === 'dry-run')).toHaveLength(1000);
    expect(dl[0]).toMatchObject({ feeCents: 0, refundCents: 1000, currency: 'USD' });

    const first = await runAndKill(
      ['bulk', 'cancel', '--file', plan, '--json', '--concurrency', '8', '--reason', 'ill'],
      300,
    );
    expect(first.length).toBeLessThan(1000);
    const re = await appt(
      ['bulk', 'cancel', '--file', plan, '--json', '--concurrency', '8', '--reason', 'ill'],
      env,
    );
    expect(re.exitCode, re.stderr).toBe(0);
    const lines = jsonLines(re.stdout);
    const summary = lines.at(-1);
    expect(summary).toMatchObject({ type: 'summary', total: 1000, failed: 0 });
    assertOnce(
      first,
      lines.filter((l) => l.type === 'item'),
      1000,
    );
    expect(summary.applied + summary.already).toBe(1000);

    const cancelled = await auditAll(srv.url, srv.adminToken, 'action=cancelled');
    const ids = new Set(appts.map((a) => a.id));
    const mine = cancelled.filter((e) => ids.has(e.appointmentId) && e.outcome === 'applied');
    expect(mine).toHaveLength(1000);
    expect(new Set(mine.map((e) => e.appointmentId)).size).toBe(1000);
    expect(mine.every((e) => e.channel === 'bulk')).toBe(true);
    const v = await api(srv.url, srv.adminToken, 'GET', '/admin/audit/verify');
    expect(v.json.ok).toBe(true);
    const verify = await appt(['audit', '--verify', '--json'], { ...env, APPT_TOKEN: srv.adminToken });
    expect(json(verify.stdout).ok).toBe(true);

    // a third run changes nothing: everything is "already"
    const third = jsonLines(
      (
        await appt(
          ['bulk', 'cancel', '--file', plan, '--json', '--concurrency', '16', '--reason', 'ill'],
          env,
        )
      ).stdout,
    );
    expect(third.at(-1)).toMatchObject({ applied: 0, already: 1000, failed: 0 });
  }, 600_000);

  it('300 reschedules killed part-way (holds keyed, some lapsed): each moved once, to the planned slot', async () => {
    const appts = await bookMany(srv.url, cat.staff, cat, 300, 12, 16);
    const targets: { id: string; start: string }[] = [];
    for (let d = 16; targets.length < 300; d++) {
      const free = (await slots(srv.url, cat.staff, cat.providerId, cat.serviceId, dayFromNow(d))).filter(
        (s) => s.status === 'available',
      );
      targets.push(...free.slice(0, 300 - targets.length));
    }
    // half the plan names the slot by id, half by ISO time; JSONL this time
    const plan = join(work, 'moves.jsonl');
    writeFileSync(
      plan,
      appts
        .map((a, i) =>
          JSON.stringify({
            appointmentId: a.id,
            action: 'reschedule',
            to: i % 2 ? targets[i].start : targets[i].id,
            reason: 'room closed',
          }),
        )
        .join('\n'),
    );
    const first = await runAndKill(
      ['bulk', 'reschedule', '--file', plan, '--json', '--concurrency', '8'],
      100,
    );
    await new Promise((r) => setTimeout(r, TTL * 1000 + 500)); // the killed run's open holds lapse
    const re = await appt(['bulk', 'reschedule', '--file', plan, '--json', '--concurrency', '8'], env);
    expect(re.exitCode, re.stderr).toBe(0);
    const lines = jsonLines(re.stdout);
    assertOnce(
      first,
      lines.filter((l) => l.type === 'item'),
      300,
    );

    const moved = await auditAll(srv.url, srv.adminToken, 'action=rescheduled');
    const byId = new Map<string, number>();
    for (const e of moved)
      if (e.outcome === 'applied') byId.set(e.appointmentId, (byId.get(e.appointmentId) ?? 0) + 1);
    for (let i = 0; i < appts.length; i++) {
      expect(byId.get(appts[i].id), appts[i].id).toBe(1);
    }
    const page = json(
      (
        await appt(
          [
            'list',
            '--provider',
            cat.providerId,
            '--status',
            'rescheduled',
            '--all',
            '--limit',
            '100',
            '--json',
          ],
          env,
        )
      ).stdout,
    );
    const startOf = new Map<string, string>(
      page.items.map((a: { id: string; start: string }) => [a.id, a.start]),
    );
    for (let i = 0; i < appts.length; i++) expect(startOf.get(appts[i].id)).toBe(targets[i].start);
    expect((await api(srv.url, srv.adminToken, 'GET', '/admin/audit/verify')).json.ok).toBe(true);
  }, 600_000);

  it('filter mode, dry run and plan errors', async () => {
    const appts = await bookMany(srv.url, cat.staff, cat, 5, 40, 4);
    const day = dayFromNow(40);
    const dry = await appt(['bulk', 'cancel', '--provider', cat.providerId, '--date', day, '--dry-run'], env);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout.split('\n').filter((l) => l.startsWith('dry-run'))).toHaveLength(5);
    expect(dry.stderr).toMatch(/5 items — 0 applied, 0 already done, 0 failed, 5 dry-run/);
    const mv = await appt(
      ['bulk', 'reschedule', '--provider', cat.providerId, '--date', day, '--to', 'next-available', '--json'],
      env,
    );
    expect(mv.exitCode, mv.stderr).toBe(0);
    expect(jsonLines(mv.stdout).at(-1)).toMatchObject({ type: 'summary', applied: 5, failed: 0 });
    // a plan with a failing item: exit 1, the others still applied
    const plan = join(work, 'mixed.csv');
    writeFileSync(plan, `appointmentId,action\n${appts[0].id},cancel\nno-such-appointment,cancel\n`);
    const mixed = await appt(['bulk', 'cancel', '--file', plan, '--json'], env);
    expect(mixed.exitCode).toBe(1);
    const ml = jsonLines(mixed.stdout);
    expect(ml.find((l) => l.appointmentId === 'no-such-appointment')).toMatchObject({
      result: 'failed',
      error: { code: 'not_found' },
    });
    expect(ml.find((l) => l.appointmentId === appts[0].id)?.result).toBe('applied');
    // usage errors before anything runs
    const bad = join(work, 'bad.csv');
    writeFileSync(bad, `appointmentId,action\n${appts[1].id},reschedule\n`);
    expect((await appt(['bulk', 'cancel', '--file', bad], env)).exitCode).toBe(2);
    writeFileSync(bad, `appointmentId,action,to\n${appts[1].id},reschedule,someday\n`);
    expect((await appt(['bulk', 'reschedule', '--file', bad], env)).exitCode).toBe(2);
    writeFileSync(bad, `appointmentId\n${appts[1].id}\n${appts[1].id}\n`);
    expect((await appt(['bulk', 'cancel', '--file', bad], env)).exitCode).toBe(2);
    expect((await appt(['bulk', 'cancel', '--file', join(work, 'missing.csv')], env)).exitCode).toBe(2);
    expect((await appt(['bulk', 'cancel', '--provider', cat.providerId], env)).exitCode).toBe(2);
    expect((await appt(['bulk', 'cancel', '--file', plan, '--concurrency', '0'], env)).exitCode).toBe(2);
    expect((await appt(['bulk', 'cancel', '--file', plan], { ...env, APPT_TOKEN: 'bad' })).exitCode).toBe(4);
  }, 120_000);
});
