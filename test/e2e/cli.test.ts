import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type ServerProcess, seedCatalog, startServerProcess } from '../server-process.js';
import { appt, book, dayFromNow, json, slots, tempHome } from './cli-helpers.js';

// `appt` commands against a real server process, human and --json, with their error paths.

let srv: ServerProcess;
let cat: Awaited<ReturnType<typeof seedCatalog>>;
let home: string;
let env: Record<string, string>;
const day = dayFromNow(3);
const day2 = dayFromNow(4);
let daySlots: { id: string; start: string; status: string }[];

beforeAll(async () => {
  srv = await startServerProcess();
  cat = await seedCatalog(srv.url, srv.adminToken);
  home = tempHome();
  env = { APPT_HOME: home };
  daySlots = await slots(srv.url, cat.staff, cat.providerId, cat.s30, day);
});
afterAll(async () => {
  await srv?.stop();
  await srv?.cleanup();
  if (home) rmSync(home, { recursive: true, force: true });
});

const bookAt = (i: number, d = day) =>
  (async () => {
    const s = d === day ? daySlots : await slots(srv.url, cat.staff, cat.providerId, cat.s30, d);
    return book(srv.url, cat.staff, {
      providerId: cat.providerId,
      serviceId: cat.s30,
      userId: cat.userId,
      timeslotId: s[i].id,
    });
  })();

describe('login', () => {
  it('refuses a bad token with exit 4 and saves nothing', async () => {
    const r = await appt(['login', '--server', srv.url, '--token', 'nope'], env);
    expect(r.exitCode).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unauthorized/);
  });

  it('an unreachable server is exit 1; a bad URL is exit 2; a missing flag is exit 2', async () => {
    expect((await appt(['login', '--server', 'http://127.0.0.1:1', '--token', 'x'], env)).exitCode).toBe(1);
    expect((await appt(['login', '--server', 'not a url', '--token', 'x'], env)).exitCode).toBe(2);
    const r = await appt(['login', '--server', srv.url], env);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--token/);
  });

  it('checks the token with GET /me and saves it with mode 0600', async () => {
    const r = await appt(['login', '--server', srv.url, '--token', cat.staff, '--json'], env);
    expect(r.exitCode).toBe(0);
    const out = json(r.stdout);
    expect(out.me.role).toBe('staff');
    expect(out.server).toBe(srv.url);
    expect(statSync(join(home, 'config.json')).mode & 0o777).toBe(0o600);
    const human = await appt(['login', '--server', srv.url, '--token', cat.staff], env);
    expect(human.stdout).toMatch(/logged in to .* as desk \(staff\)/);
  });

  it('a command without any login is exit 4', async () => {
    const r = await appt(['list'], { APPT_HOME: tempHome() });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/appt login/);
  });
});

describe('list, show, availability', () => {
  let a: Awaited<ReturnType<typeof book>>;
  beforeAll(async () => {
    a = await bookAt(0);
  });

  it('lists the day view of a provider, human and --json', async () => {
    const r = await appt(['list', '--provider', cat.providerId, '--date', day], env);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(a.id);
    expect(r.stdout).toContain('START (America/New_York)');
    expect(r.stdout).not.toMatch(/\u001b\[/);
    const j = await appt(['list', '--provider', cat.providerId, '--date', day, '--json'], env);
    const out = json(j.stdout);
    expect(out.items.map((x: { id: string }) => x.id)).toContain(a.id);
    expect(out).toMatchObject({ nextCursor: null, offline: false });
  });

  it("lists a customer's upcoming and history, and follows cursors with --all", async () => {
    await bookAt(1);
    await bookAt(2);
    const up = json(
      (await appt(['list', '--user', cat.userId, '--json', '--limit', '1', '--all'], env)).stdout,
    );
    expect(up.items.length).toBeGreaterThanOrEqual(3);
    const one = json((await appt(['list', '--user', cat.userId, '--json', '--limit', '1'], env)).stdout);
    expect(one.items).toHaveLength(1);
    expect(one.nextCursor).toBeTruthy();
    const hist = await appt(['list', '--user', cat.userId, '--history', '--json'], env);
    expect(hist.exitCode).toBe(0);
    expect(json(hist.stdout).items).toEqual([]);
  });

  it('rejects bad flags with exit 2 and a one-line reason', async () => {
    for (const args of [
      ['list', '--date', 'someday'],
      ['list', '--date', '2030-02-31'],
      ['list', '--limit', '0'],
      ['list', '--status', 'weird'],
      ['list', '--upcoming', '--history'],
      ['list', '--bogus'],
      ['show'],
      ['availability', '--provider', cat.providerId],
      ['reschedule', a.id],
      ['reschedule', a.id, '--to', 'not-a-time', '--yes'],
      ['cancel', a.id, '--waive-fee', '--yes'],
      ['audit'],
      ['export', 'ics'],
      ['bulk', 'cancel'],
      ['nonsense'],
    ]) {
      const r = await appt(args, env);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n').length, `${args.join(' ')}: ${r.stderr}`).toBeLessThanOrEqual(2);
      expect(r.stdout).toBe('');
    }
  });

  it('shows one appointment with policy, quote and audit; an unknown id is exit 1', async () => {
    const r = await appt(['show', a.id], env);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/cancel policy/);
    expect(r.stdout).toMatch(/cancel now\s+fee/);
    expect(r.stdout).toMatch(/created\s+applied/);
    const j = json((await appt(['show', a.id, '--json'], env)).stdout);
    expect(j.appointment.id).toBe(a.id);
    expect(j.quote.appointmentId).toBe(a.id);
    expect(j.appointment.audit.length).toBeGreaterThan(0);
    const nf = await appt(['show', 'no-such-id'], env);
    expect(nf.exitCode).toBe(1);
    expect(nf.stderr).toMatch(/not_found/);
    const nfj = await appt(['show', 'no-such-id', '--json'], env);
    expect(nfj.exitCode).toBe(1);
    expect(json(nfj.stdout).error.code).toBe('not_found');
  });

  it('shows availability in the provider zone', async () => {
    const r = await appt(
      ['availability', '--provider', cat.providerId, '--service', cat.s30, '--date', day],
      env,
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('START (America/New_York)');
    expect(r.stdout).toContain(`${day} 10:30`); // 09:00–10:30 booked by the tests above
    expect(r.stdout).not.toContain(`${day} 09:00`); // booked above
    const j = json(
      (
        await appt(
          ['availability', '--provider', cat.providerId, '--service', cat.s30, '--date', day, '--json'],
          env,
        )
      ).stdout,
    );
    expect(j.timezone).toBe('America/New_York');
    expect(j.timeslots[0]).toMatchObject({ status: 'booked' });
    const bad = await appt(['availability', '--provider', 'nope', '--service', cat.s30, '--date', day], env);
    expect(bad.exitCode).toBe(1);
  });

  it('a bad token is exit 4 on every command', async () => {
    for (const args of [['list'], ['show', a.id], ['cancel', a.id, '--yes'], ['audit', '--verify']]) {
      const r = await appt(args, { ...env, APPT_TOKEN: 'bad-token' });
      expect(r.exitCode, args.join(' ')).toBe(4);
    }
  });
});

describe('cancel', () => {
  it('needs --yes without a terminal (exit 2), then cancels with the quote', async () => {
    const a = await bookAt(5);
    const ask = await appt(['cancel', a.id], env);
    expect(ask.exitCode).toBe(2);
    expect(ask.stderr).toMatch(/--yes/);
    // without a terminal and without --yes the quote is still printed, before the refusal
    expect(ask.stderr).toMatch(/fee 0\.00 USD, refund 10\.00 USD[\s\S]*confirmation needed/);
    const r = await appt(['cancel', a.id, '--yes', '--reason', 'called', '--json'], env);
    expect(r.exitCode).toBe(0);
    const out = json(r.stdout);
    expect(out.appointment.status).toBe('cancelled');
    expect(out.outcome).toBe('applied');
    expect(out.quote).toMatchObject({ appointmentId: a.id, currency: 'USD' });
    expect(r.stderr).toMatch(/fee .* refund/);
    const again = await appt(['cancel', a.id, '--yes', '--json'], env);
    expect(again.exitCode).toBe(1);
    expect(json(again.stdout).error.code).toBe('appointment_not_active');
    // an inactive appointment says so before any quote
    const inactive = await appt(['cancel', a.id, '--yes'], env);
    expect(inactive.stderr).toMatch(/is cancelled since .* America\/New_York: nothing to cancel/);
    expect(inactive.stderr).not.toMatch(/fee/);
    const human = await appt(['cancel', (await bookAt(6)).id, '--yes'], env);
    expect(human.stdout).toMatch(/^cancelled .*fee 0\.00 USD, refund 10\.00 USD/);
    expect((await appt(['cancel', 'missing', '--yes'], env)).exitCode).toBe(1);
  });
});

describe('reschedule', () => {
  it('moves to an ISO time with --yes (the id stays), human and --json', async () => {
    const a = await bookAt(7);
    const target = daySlots[9];
    const r = await appt(['reschedule', a.id, '--to', target.start, '--yes', '--reason', 'asked'], env);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^rescheduled ${a.id}`));
    const d = await api(srv.url, cat.staff, 'GET', `/appointments/${a.id}`);
    expect(d.json.start).toBe(target.start);
    expect(d.json.status).toBe('rescheduled');
    const j = await appt(['reschedule', a.id, '--next-available', '--yes', '--json'], env);
    expect(j.exitCode, j.stderr).toBe(0);
    const out = json(j.stdout);
    expect(out.appointment.id).toBe(a.id);
    expect(out.previous.start).toBe(target.start);
    expect(out.outcome).toBe('applied');
  });

  it('a taken slot is exit 3 with alternatives', async () => {
    const a = await bookAt(11);
    const b = await bookAt(12);
    const r = await appt(['reschedule', a.id, '--to', b.start, '--yes', '--json'], env);
    expect(r.exitCode).toBe(3);
    const out = json(r.stdout);
    expect(out.error.code).toBe('slot_taken');
    expect(out.error.alternatives.length).toBeGreaterThan(0);
    const human = await appt(['reschedule', a.id, '--to', b.start, '--yes'], env);
    expect(human.exitCode).toBe(3);
    expect(human.stderr).toMatch(/alternatives:/);
    expect(human.stderr).toMatch(/--to ts_/);
  });

  it('picks the first choice of --tomorrow / --date with --yes, and needs --yes without a terminal', async () => {
    const a = await bookAt(13);
    expect((await appt(['reschedule', a.id, '--tomorrow'], env)).exitCode).toBe(2);
    const r = await appt(['reschedule', a.id, '--date', day2, '--yes', '--json'], env);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(json(r.stdout).appointment.start.slice(0, 10)).toBe(day2);
  });

  it('an unknown id is exit 1', async () => {
    expect((await appt(['reschedule', 'nope', '--next-available', '--yes'], env)).exitCode).toBe(1);
  });

  it('an expired hold is exit 3 (server with --reservation-ttl 1)', async () => {
    const short = await startServerProcess({ args: ['--reservation-ttl', '1'] });
    try {
      const c = await seedCatalog(short.url, short.adminToken);
      const s = await slots(short.url, c.staff, c.providerId, c.s30, day);
      const a = await book(short.url, c.staff, {
        providerId: c.providerId,
        serviceId: c.s30,
        userId: c.userId,
        timeslotId: s[0].id,
      });
      const e2 = { APPT_HOME: tempHome(), APPT_SERVER: short.url, APPT_TOKEN: c.staff };
      const held = await appt(['reschedule', a.id, '--to', s[3].id, '--hold-only', '--json'], e2);
      expect(held.exitCode, held.stderr).toBe(0);
      const token = json(held.stdout).reservation.reservationToken;
      await new Promise((r) => setTimeout(r, 1500)); // the server's real clock must pass the 1 s TTL
      const r = await appt(['reschedule', a.id, '--reservation', token, '--yes', '--json'], e2);
      expect(r.exitCode).toBe(3);
      expect(json(r.stdout).error.code).toBe('reservation_expired');
      expect(r.stderr).toMatch(/Hold expired/);
    } finally {
      await short.stop();
      await short.cleanup();
    }
  });
});

describe('audit and export', () => {
  it('prints the trail and verifies the chain', async () => {
    const a = await bookAt(14);
    await appt(['cancel', a.id, '--yes'], env);
    const r = await appt(['audit', a.id], env);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/created\s+applied/);
    expect(r.stdout).toMatch(/cancelled\s+applied/);
    const j = json((await appt(['audit', a.id, '--json'], env)).stdout);
    expect(j.items.map((e: { action: string }) => e.action)).toEqual(['created', 'cancelled']);
    expect(j.items[1].channel).toBe('cli');
    // verify needs admin or support: staff is refused (exit 4), admin sees ok
    expect((await appt(['audit', '--verify'], env)).exitCode).toBe(4);
    const v = await appt(['audit', '--verify', '--json'], { ...env, APPT_TOKEN: srv.adminToken });
    expect(v.exitCode).toBe(0);
    expect(json(v.stdout)).toMatchObject({ ok: true });
    const vh = await appt(['audit', '--verify'], { ...env, APPT_TOKEN: srv.adminToken });
    expect(vh.stdout).toMatch(/audit chain ok/);
    expect((await appt(['audit', 'nope'], env)).exitCode).toBe(1);
  });

  it('exports one appointment and a provider calendar', async () => {
    const a = await bookAt(15);
    const one = await appt(['export', 'ics', a.id], env);
    expect(one.exitCode).toBe(0);
    expect(one.stdout).toMatch(/BEGIN:VCALENDAR/);
    expect(one.stdout).toContain(`UID:${a.id}`);
    const all = await appt(['export', 'ics', '--provider', cat.providerId, '--json'], env);
    expect(all.exitCode).toBe(0);
    const out = json(all.stdout);
    expect(out.events).toBeGreaterThanOrEqual(5);
    expect(out.ics).toContain(`UID:${a.id}`);
    const user = await appt(['export', 'ics', '--user', cat.userId], env);
    expect((user.stdout.match(/BEGIN:VEVENT/g) ?? []).length).toBe(out.events);
    expect((await appt(['export', 'ics', 'nope'], env)).exitCode).toBe(1);
    expect((await appt(['export', 'ics', a.id, '--provider', cat.providerId], env)).exitCode).toBe(2);
  });
});

describe('admin', () => {
  it('creates providers, services, hours, time off, users and tokens; staff is refused', {
    timeout: 120_000,
  }, async () => {
    const A = { ...env, APPT_TOKEN: srv.adminToken };
    const p = json(
      (
        await appt(
          ['admin', 'providers', 'add', '--name', 'CLI Clinic', '--timezone', 'Europe/London', '--json'],
          A,
        )
      ).stdout,
    );
    expect(p.timezone).toBe('Europe/London');
    const s = await appt(
      [
        'admin',
        'services',
        'add',
        '--provider',
        p.id,
        '--title',
        'Check',
        '--duration',
        '30',
        '--price',
        '4000',
        '--free-until-hours',
        '24',
        '--fee',
        '1000',
        '--json',
      ],
      A,
    );
    expect(s.exitCode, s.stderr).toBe(0);
    expect(json(s.stdout).cancellation).toEqual({ freeUntilHoursBefore: 24, feeCents: 1000 });
    const h = await appt(
      ['admin', 'hours', 'set', '--provider', p.id, '--hours', 'mon-fri=09:00-17:00,sat=10:00-12:00'],
      A,
    );
    expect(h.exitCode, h.stderr).toBe(0);
    const hs = json((await appt(['admin', 'hours', 'show', '--provider', p.id, '--json'], A)).stdout);
    expect(hs).toHaveLength(6);
    const off = await appt(
      [
        'admin',
        'time-off',
        'add',
        '--provider',
        p.id,
        '--start',
        `${day}T09:00:00Z`,
        '--end',
        `${day}T12:00:00Z`,
        '--reason',
        'training',
        '--json',
      ],
      A,
    );
    expect(off.exitCode, off.stderr).toBe(0);
    expect(
      json((await appt(['admin', 'time-off', 'list', '--provider', p.id, '--json'], A)).stdout).items,
    ).toHaveLength(1);
    const u = json(
      (await appt(['admin', 'users', 'add', '--name', 'Ada', '--email', 'ada@example.com', '--json'], A))
        .stdout,
    );
    expect((await appt(['admin', 'users', 'list', '--search', 'Ada'], A)).stdout).toContain(u.id);
    const t = json(
      (
        await appt(
          ['admin', 'token', 'create', '--name', 'ada', '--role', 'user', '--user', u.id, '--json'],
          A,
        )
      ).stdout,
    );
    expect(t.token).toBeTruthy();
    expect(
      json((await appt(['admin', 'tokens', 'list', '--json'], A)).stdout).items.some(
        (x: { id: string }) => x.id === t.id,
      ),
    ).toBe(true);
    const rot = json((await appt(['admin', 'token', 'rotate', t.id, '--json'], A)).stdout);
    expect(rot.token).not.toBe(t.token);
    expect((await appt(['list'], { ...env, APPT_TOKEN: t.token })).exitCode).toBe(4);
    expect((await appt(['admin', 'token', 'revoke', rot.id], A)).exitCode).toBe(0);
    expect((await appt(['list', '--user', u.id], { ...env, APPT_TOKEN: rot.token })).exitCode).toBe(4);
    expect((await appt(['admin', 'token', 'create', '--name', 'x', '--role', 'king'], A)).exitCode).toBe(2);
    expect(
      (await appt(['admin', 'hours', 'set', '--provider', p.id, '--hours', 'someday'], A)).exitCode,
    ).toBe(2);
    expect(
      (await appt(['admin', 'providers', 'add', '--name', 'X', '--timezone', 'Mars/Base', '--json'], A))
        .exitCode,
    ).toBe(2);
    expect((await appt(['admin', 'providers', 'list'], env)).exitCode).toBe(0);
    expect(
      (await appt(['admin', 'users', 'add', '--name', 'N', '--email', 'n@example.com'], env)).exitCode,
    ).toBe(4);
  });
});

describe('help and version', () => {
  it('every command has --help with examples, and --json documented', async () => {
    for (const c of [
      'login',
      'list',
      'show',
      'availability',
      'reschedule',
      'cancel',
      'audit',
      'queue',
      'bulk',
      'admin',
      'demo',
    ]) {
      const r = await appt([c, '--help']);
      expect(r.exitCode, c).toBe(0);
      expect(r.stdout, c).toMatch(/Examples:/);
    }
    expect((await appt(['export', 'ics', '--help'])).stdout).toMatch(/--json/);
    const v = await appt(['--version']);
    expect(v.stdout.trim()).toBe(
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version,
    );
  });
});
