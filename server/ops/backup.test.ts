import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { sqliteOf } from '../db/open.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main as checkMain } from '../../scripts/check.js';
import { openDb } from '../db/open.js';
import { checkInvariants } from '../invariants/check.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import {
  BackupError,
  backupDataDir,
  liveServers,
  restoreDataDir,
  verifyDatabaseFile,
  writeRunFile,
} from './backup.js';

let h: Harness;
let out: string;
beforeEach(async () => {
  h = await makeHarness();
  out = mkdtempSync(join(tmpdir(), 'appt-backup-'));
});
afterEach(async () => {
  await h.close();
  rmSync(out, { recursive: true, force: true });
});

function sink() {
  const s = {
    text: '',
    write(t: string) {
      s.text += t;
      return true;
    },
  };
  return s;
}

describe('backup', async () => {
  it('copies the live database while bookings are being written, and the copy passes the checks', async () => {
    const days = ['2030-01-08', '2030-01-09', '2030-01-10'];
    const slots = (await Promise.all(days.map((d) => slotsOf(h, d)))).flatMap((a) => a.timeslots);
    // writes interleave with the backup's steps (it yields between page batches)
    let booked = 0;
    const writer = (async () => {
      for (const s of slots.slice(0, 30)) {
        await bookVia(h, s.id);
        booked++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    const r = await backupDataDir(h.dir, join(out, 'during.db'));
    await writer;
    expect(r.integrity).toBe('ok');
    expect(r.bytes).toBeGreaterThan(0);
    expect(r.appointments).toBeLessThanOrEqual(booked);
    expect(existsSync(join(out, 'during.db.partial'))).toBe(false);
    const copy = await openDb(r.file, { readonly: true, migrate: false });
    try {
      expect(await checkInvariants(copy, h.clock.now())).toEqual({ ok: true, problems: [] });
    } finally {
      await copy.close();
    }
    // and one after the writes has them all
    const after = await backupDataDir(h.dir, join(out, 'after.db'));
    expect(after.appointments).toBe(30);
  });

  it('refuses a missing database, an existing target and the live file itself', async () => {
    await expect(backupDataDir(join(out, 'nothing'), join(out, 'x.db'))).rejects.toThrow(/no database/);
    writeFileSync(join(out, 'taken.db'), 'x');
    await expect(backupDataDir(h.dir, join(out, 'taken.db'))).rejects.toThrow(/already exists/);
    await expect(backupDataDir(h.dir, join(h.dir, 'appt.db'))).rejects.toThrow(/live database/);
  });

  it('verify refuses files that are not appt databases', async () => {
    writeFileSync(join(out, 'junk.db'), 'this is not sqlite at all, just text. '.repeat(200));
    expect(() => verifyDatabaseFile(join(out, 'junk.db'))).toThrow(BackupError);
    const empty = await openDb(join(out, 'empty.db'), { migrate: false });
    sqliteOf(empty).exec('CREATE TABLE t (x)');
    await empty.close();
    expect(() => verifyDatabaseFile(join(out, 'empty.db'))).toThrow(/not an appt database/);
    expect(() => verifyDatabaseFile(join(out, 'absent.db'))).toThrow(/does not exist/);
  });
});

describe('restore', () => {
  it('refuses while a live server uses the data directory, ignores a stale run file', async () => {
    const b = await backupDataDir(h.dir, join(out, 'b.db'));
    const target = join(out, 'data');
    mkdirSync(target);
    const remove = writeRunFile(target, { url: 'http://127.0.0.1:1', port: 1 });
    expect(liveServers(target).map((l) => l.pid)).toEqual([process.pid]);
    await expect(restoreDataDir(target, b.file)).rejects.toThrow(/is using .*stop it first/);
    remove();
    // a crashed server's run file (its pid is gone) does not block
    mkdirSync(join(target, 'run'), { recursive: true });
    writeFileSync(join(target, 'run', 'server-999999999-7400.json'), JSON.stringify({ pid: 999_999_999 }));
    expect(liveServers(target)).toEqual([]);
    expect(readdirSync(join(target, 'run'))).toEqual([]);
    const r = await restoreDataDir(target, b.file);
    expect(r.previous).toBeNull();
    expect(verifyDatabaseFile(r.file)).toEqual({ appointments: 0, auditEntries: b.auditEntries });
  });

  it('replaces the database, keeps the old one, and the result passes the check script', async () => {
    const slots = (await slotsOf(h, '2030-01-08')).timeslots;
    await bookVia(h, slots[0].id);
    const b = await backupDataDir(h.dir, join(out, 'one.db'));
    await bookVia(h, slots[2].id);
    // a copy of the data dir with two appointments, restored back to the one-appointment backup
    const target = join(out, 'data');
    const two = await backupDataDir(h.dir, join(target, 'appt.db'));
    expect(two.appointments).toBe(2);
    const r = await restoreDataDir(target, b.file, () => Date.parse('2030-01-07T12:00:00Z'));
    expect(r.appointments).toBe(1);
    expect(r.previous).toMatch(/appt\.db\.before-restore-2030-01-07T12-00-00-000Z$/);
    expect(verifyDatabaseFile(r.previous!).appointments).toBe(2);
    const o = sink();
    const e = sink();
    expect(await checkMain([target], o as never, e as never)).toBe(0);
    expect(JSON.parse(o.text)).toMatchObject({ ok: true, problems: [] });
    // the server opens the restored database and serves it
    await expect(restoreDataDir(target, join(out, 'missing.db'))).rejects.toThrow(/does not exist/);
  });
});

describe('scripts/check', () => {
  it('exits 1 with the first problem when an invariant breaks, 2 on bad usage', async () => {
    const slots = (await slotsOf(h, '2030-01-08')).timeslots;
    const hold = await h.app.inject({
      method: 'POST',
      url: '/reservations',
      headers: auth(h.tokens.staff),
      payload: { providerId: h.ids.provider, serviceId: h.ids.service, timeslotId: slots[0].id },
    });
    expect(hold.statusCode).toBe(201);
    // a hold left active long past its expiry (as if no sweeper ever ran)
    sqliteOf(h.ctx.db)
      .prepare('UPDATE reservations SET expires_at = 1000 WHERE token = ?')
      .run(hold.json().reservationToken);
    const o = sink();
    const e = sink();
    expect(await checkMain([h.dir, '--grace-ms', '0'], o as never, e as never)).toBe(1);
    expect(JSON.parse(o.text).problems[0].kind).toBe('stale_hold');
    expect(e.text).toMatch(/^check: stale_hold: hold rsv_/);
    expect(await checkMain([], sink() as never, sink() as never)).toBe(2);
    expect(await checkMain([join(out, 'nope')], sink() as never, e as never)).toBe(2);
    expect(e.text).toContain('no database at');
  });
});
