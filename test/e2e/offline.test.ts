import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, type ServerProcess, seedCatalog, startServerProcess } from '../server-process.js';
import { appt, auditAll, book, dayFromNow, freePort, json, slots, tempHome } from './cli-helpers.js';

// Offline round trip against a real server process that is stopped and started again on the
// same data directory and port: reads from the snapshot, intents queued (exit 5), replayed
// exactly once by the next online command; conflicts are reported and kept, never dropped.

const dataDir = mkdtempSync(join(tmpdir(), 'appt-offline-'));
let srv: ServerProcess | undefined;
afterAll(async () => {
  await srv?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('offline', () => {
  it('list from the snapshot, cancel queued, replayed once on the next online command', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort();
    const start = () => startServerProcess({ dataDir, args: ['--port', String(port)] });
    srv = await start();
    const cat = await seedCatalog(srv.url, srv.adminToken);
    const day = dayFromNow(3);
    const s = await slots(srv.url, cat.staff, cat.providerId, cat.s30, day);
    const mk = (i: number) =>
      book(srv!.url, cat.staff, {
        providerId: cat.providerId,
        serviceId: cat.s30,
        userId: cat.userId,
        timeslotId: s[i].id,
      });
    const a = await mk(0);
    const b = await mk(1);
    const c = await mk(2);
    const env = { APPT_HOME: tempHome() };
    expect((await appt(['login', '--server', srv.url, '--token', cat.staff], env)).exitCode).toBe(0);
    const online = await appt(['list', '--provider', cat.providerId, '--date', day, '--json'], env);
    expect(json(online.stdout).items).toHaveLength(3);
    for (const x of [a, b, c]) expect((await appt(['show', x.id], env)).exitCode).toBe(0);

    await srv.stop();

    // reads: the snapshot, with the notice on stderr, exit 0
    const off = await appt(['list', '--provider', cat.providerId, '--date', day], env);
    expect(off.exitCode).toBe(0);
    expect(off.stderr).toMatch(/^offline — as of \d{4}-\d{2}-\d{2}T/m);
    expect(off.stdout).toContain(a.id);
    const offJson = json(
      (await appt(['list', '--provider', cat.providerId, '--date', day, '--json'], env)).stdout,
    );
    expect(offJson.offline).toBe(true);
    expect(offJson.items).toHaveLength(3);
    const showOff = await appt(['show', a.id, '--json'], env);
    expect(showOff.exitCode).toBe(0);
    expect(json(showOff.stdout).offline).toBe(true);
    // a read never seen before has nothing to fall back on
    expect((await appt(['list', '--provider', cat.providerId, '--date', dayFromNow(9)], env)).exitCode).toBe(
      1,
    );

    // writes: queued with their key and version, exit 5, never shown as done
    const q = await appt(['cancel', a.id, '--yes', '--reason', 'offline desk'], env);
    expect(q.exitCode).toBe(5);
    expect(q.stdout).toMatch(/queued, not confirmed/);
    expect(q.stdout).not.toMatch(/^cancelled/m);
    const qj = await appt(['cancel', b.id, '--yes', '--json'], env);
    expect(qj.exitCode).toBe(5);
    expect(json(qj.stdout)).toMatchObject({ queued: true, kind: 'cancel', appointmentId: b.id, version: 1 });
    const rs = await appt(['reschedule', c.id, '--to', s[8].id, '--yes'], env);
    expect(rs.exitCode).toBe(5);
    const list = json((await appt(['queue', 'list', '--json'], env)).stdout);
    expect(list.items).toHaveLength(3);
    expect(list.items[0]).toMatchObject({ kind: 'cancel', appointmentId: a.id, version: 1 });
    expect(list.items[0].idempotencyKey).toMatch(/^cli:cancel:/);
    expect((await appt(['queue', 'replay'], env)).exitCode).toBe(5);

    // meanwhile someone else moves b: its queued cancel (If-Match "1") must not apply
    srv = await start();
    const alt = await api(srv.url, cat.staff, 'GET', `/appointments/${b.id}/alternatives?kind=next`);
    const hold = await api(srv.url, cat.staff, 'POST', '/reservations', {
      providerId: cat.providerId,
      serviceId: cat.s30,
      timeslotId: alt.json.items[0].timeslotId,
      appointmentId: b.id,
    });
    const moved = await api(
      srv.url,
      cat.staff,
      'POST',
      `/appointments/${b.id}/reschedule`,
      { reservationToken: hold.json.reservationToken },
      { 'idempotency-key': 'someone-else' },
    );
    expect(moved.status).toBe(200);

    // the next online command replays the queue first
    const next = await appt(['list', '--provider', cat.providerId, '--date', day], env);
    expect(next.exitCode).toBe(0);
    expect(next.stderr).toMatch(new RegExp(`replayed queued cancel of ${a.id}: done`));
    expect(next.stderr).toMatch(new RegExp(`replayed queued reschedule of ${c.id}: done`));
    expect(next.stderr).toMatch(new RegExp(`queued cancel of ${b.id} NOT applied: version_mismatch`));
    expect(next.stderr).not.toMatch(/offline/);

    const da = await api(srv.url, cat.staff, 'GET', `/appointments/${a.id}`);
    expect(da.json.status).toBe('cancelled');
    expect(da.json.cancelReason).toBe('offline desk');
    const dc = await api(srv.url, cat.staff, 'GET', `/appointments/${c.id}`);
    expect(dc.json.start).toBe(s[8].start);
    const db = await api(srv.url, cat.staff, 'GET', `/appointments/${b.id}`);
    expect(db.json.status).toBe('rescheduled');

    // the conflict stays in the queue, marked; a replay reports it again (exit 3) with no effect
    const left = json((await appt(['queue', 'list', '--json'], env)).stdout);
    expect(left.items).toHaveLength(1);
    expect(left.items[0].lastError.code).toBe('version_mismatch');
    const human = await appt(['queue', 'list'], env);
    expect(human.stdout).toMatch(/conflict: version_mismatch/);
    const again = await appt(['queue', 'replay', '--json'], env);
    expect(again.exitCode).toBe(3);
    expect(json(again.stdout).results[0]).toMatchObject({
      result: 'conflict',
      queued: true,
      appointmentId: b.id,
    });
    expect((await appt(['queue', 'drop', 'nope'], env)).exitCode).toBe(1);
    const drop = await appt(['queue', 'drop', left.items[0].id, '--json'], env);
    expect(json(drop.stdout).dropped).toEqual([left.items[0].id]);
    expect(json((await appt(['queue', 'list', '--json'], env)).stdout).items).toEqual([]);

    // more commands replay nothing twice: exactly one cancel entry for a, one move for c
    await appt(['list'], env);
    const ea = await auditAll(srv.url, srv.adminToken, `appointmentId=${a.id}`);
    expect(ea.filter((e) => e.action === 'cancelled' && e.outcome === 'applied')).toHaveLength(1);
    const ec = await auditAll(srv.url, srv.adminToken, `appointmentId=${c.id}`);
    expect(ec.filter((e) => e.action === 'rescheduled' && e.outcome === 'applied')).toHaveLength(1);
    const eb = await auditAll(srv.url, srv.adminToken, `appointmentId=${b.id}`);
    expect(eb.filter((e) => e.action === 'cancelled' && e.outcome === 'applied')).toHaveLength(0);
    const v = await api(srv.url, srv.adminToken, 'GET', '/admin/audit/verify');
    expect(v.json.ok).toBe(true);
  });
});
