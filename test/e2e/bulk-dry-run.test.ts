import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type ServerProcess, startServerProcess } from '../server-process.js';
import { appt, book, dayFromNow, jsonLines, slots, tempHome } from './cli-helpers.js';

// The dry run tells the truth: for every item it says what the real run then does — the
// same refusal code for the ones that fail, and the same exit code for the run.

const dataDir = mkdtempSync(join(tmpdir(), 'appt-dry-'));
const work = mkdtempSync(join(tmpdir(), 'appt-dry-work-'));
let srv: ServerProcess;
beforeAll(async () => {
  srv = await startServerProcess({ dataDir, args: ['--port', '0'] });
}, 120_000);
afterAll(async () => {
  await srv?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('bulk --dry-run', () => {
  it('names customer and time, and says "would fail: <code>" for exactly the items the real run refuses', {
    timeout: 180_000,
  }, async () => {
    const admin = srv.adminToken;
    const p = (
      await api(srv.url, admin, 'POST', '/admin/providers', {
        name: 'Dry Clinic',
        timezone: 'Pacific/Auckland',
      })
    ).json;
    await api(
      srv.url,
      admin,
      'PUT',
      `/admin/providers/${p.id}/hours`,
      [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
    );
    // a fee inside 48 h, moves need 3 days' notice
    const svc = (
      await api(srv.url, admin, 'POST', '/admin/services', {
        providerId: p.id,
        title: 'Checkup',
        durationMinutes: 30,
        priceCents: 5000,
        currency: 'NZD',
        minNoticeMinutes: 3 * 24 * 60,
        cancellation: { freeUntilHoursBefore: 24 * 30, feeCents: 2000 },
      })
    ).json;
    const user = (
      await api(srv.url, admin, 'POST', '/admin/users', {
        name: 'Fran Torvalds',
        email: 'fran.dry@example.com',
      })
    ).json;
    const staff = (await api(srv.url, admin, 'POST', '/admin/tokens', { name: 'dry desk', role: 'staff' }))
      .json.token;
    const env = { APPT_HOME: tempHome() };
    expect((await appt(['login', '--server', srv.url, '--token', staff], env)).exitCode).toBe(0);
    const zone = 'Pacific/Auckland';
    const s5 = await slots(srv.url, staff, p.id, svc.id, dayFromNow(5, zone));
    const s6 = await slots(srv.url, staff, p.id, svc.id, dayFromNow(6, zone));
    const mk = (timeslotId: string) =>
      book(srv.url, staff, { providerId: p.id, serviceId: svc.id, userId: user.id, timeslotId });
    const ok = await mk(s5[0]!.id);
    const gone = await mk(s5[1]!.id);
    const tooSoon = await mk(s5[2]!.id);
    const taken = await mk(s5[3]!.id);
    const blocker = await mk(s6[0]!.id);
    expect(blocker.status).toBe('confirmed');
    const cancelled = await api(
      srv.url,
      staff,
      'POST',
      `/appointments/${gone.id}/cancel`,
      {},
      { 'idempotency-key': 'pre' },
    );
    expect(cancelled.status).toBe(200);
    const tomorrow = (await slots(srv.url, staff, p.id, svc.id, dayFromNow(1, zone))).find(() => true);

    // cancels: one active (fee inside the window), one already cancelled
    const cplan = join(work, 'cancel.csv');
    writeFileSync(
      cplan,
      `appointmentId,action,reason\n${ok.id},cancel,provider ill\n${gone.id},cancel,provider ill\n`,
    );
    const cdry = await appt(['bulk', 'cancel', '--file', cplan, '--dry-run'], env);
    expect(cdry.exitCode).toBe(1);
    const okLine = cdry.stdout.split('\n').find((l) => l.includes(ok.id))!;
    expect(okLine).toMatch(
      /^dry-run\s+cancel Fran Torvalds, \w{3} \d{4}-\d{2}-\d{2} 09:00 Pacific\/Auckland /,
    );
    expect(okLine).toMatch(/fee 20\.00 NZD refund 30\.00 NZD \(inside the fee window\)/);
    expect(cdry.stdout).toMatch(new RegExp(`${gone.id} would fail: appointment_not_active .*exit 1\\)`));
    const cj = jsonLines(
      (
        await appt(
          [
            'bulk',
            'cancel',
            '--file',
            cplan,
            '--dry-run',
            '--json',
            '--waive-fee',
            '--reason',
            'provider ill',
          ],
          env,
        )
      ).stdout,
    );
    expect(cj.find((l) => l.appointmentId === ok.id)).toMatchObject({
      result: 'dry-run',
      customer: 'Fran Torvalds',
      timezone: zone,
      feeCents: 0,
      refundCents: 5000,
    });
    expect(cj.at(-1)).toMatchObject({ type: 'summary', dryRun: 2, wouldFail: 1 });

    // reschedules: one fine, one inside the minimum notice, one onto a booked slot
    const rplan = join(work, 'moves.csv');
    writeFileSync(
      rplan,
      `appointmentId,action,to\n${ok.id},reschedule,${s6[2]!.id}\n${tooSoon.id},reschedule,${tomorrow?.start ?? new Date(Date.now() + 86_400_000).toISOString()}\n${taken.id},reschedule,${s6[0]!.id}\n`,
    );
    const rdry = await appt(['bulk', 'reschedule', '--file', rplan, '--dry-run', '--json'], env);
    expect(rdry.exitCode).toBe(1);
    const verdict = new Map(
      jsonLines(rdry.stdout)
        .filter((l) => l.type === 'item')
        .map((l) => [l.appointmentId, l.wouldFail?.code ?? 'ok']),
    );
    expect(Object.fromEntries(verdict)).toEqual({
      [ok.id]: 'ok',
      [tooSoon.id]: 'policy_violation',
      [taken.id]: 'slot_taken',
    });

    // the real run does what the dry run said, item by item, with the same exit code
    const real = await appt(['bulk', 'reschedule', '--file', rplan, '--json'], env);
    expect(real.exitCode).toBe(rdry.exitCode);
    const outcome = new Map(
      jsonLines(real.stdout)
        .filter((l) => l.type === 'item')
        .map((l) => [l.appointmentId, l.error?.code ?? 'ok']),
    );
    expect(outcome).toEqual(verdict);
    const creal = await appt(['bulk', 'cancel', '--file', cplan, '--json'], env);
    expect(creal.exitCode).toBe(cdry.exitCode);
    expect(jsonLines(creal.stdout).find((l) => l.appointmentId === gone.id)?.error?.code).toBe(
      'appointment_not_active',
    );
    // after the real run, the dry run says the plan is done
    const after = jsonLines(
      (await appt(['bulk', 'cancel', '--file', cplan, '--dry-run', '--json'], env)).stdout,
    );
    expect(after.find((l) => l.appointmentId === ok.id)?.result).toBe('already');
  });
});
