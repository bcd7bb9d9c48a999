import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { api, BIN, type ServerProcess, seedCatalog, startServerProcess } from '../server-process.js';

/**
 * Issue 12, items 7 and 8, on real `appt serve` processes: the data directory and every
 * file in it are private whatever the umask, and a second server on the same data
 * directory refuses to start.
 */
const servers: ServerProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(fn: () => T, ms: number, what: string): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

function newDataDir() {
  const d = mkdtempSync(join(tmpdir(), 'appt-files-'));
  dirs.push(d);
  return d;
}

/** `appt <args>` to completion: exit code and stderr. */
function run(args: string[], umask = '022'): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      '/bin/sh',
      ['-c', `umask ${umask} && exec "$@"`, 'sh', process.execPath, BIN, ...args],
      {
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

async function book(srv: ServerProcess) {
  const cat = await seedCatalog(srv.url, srv.adminToken);
  const date = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  const day = await api(
    srv.url,
    cat.staff,
    'GET',
    `/providers/${cat.providerId}/availability?serviceId=${cat.s30}&date=${date}`,
  );
  const slot = (day.json.timeslots as { id: string; status: string }[]).find(
    (t) => t.status === 'available',
  )!;
  const hold = await api(srv.url, cat.staff, 'POST', '/reservations', {
    providerId: cat.providerId,
    serviceId: cat.s30,
    timeslotId: slot.id,
    userId: cat.userId,
  });
  expect(hold.status).toBe(201);
  const b = await api(
    srv.url,
    cat.staff,
    'POST',
    '/bookings',
    { reservationToken: hold.json.reservationToken, userId: cat.userId },
    { 'idempotency-key': 'files-e2e-1' },
  );
  expect(b.status).toBe(201);
}

describe('12.7 files are private', () => {
  it('under umask 000 the data directory is 0700 and the database, WAL, mail, exports and backups 0600', async () => {
    const dataDir = newDataDir();
    chmodSync(dataDir, 0o755);
    // left by an older version with loose modes: tightened at start-up
    writeFileSync(join(dataDir, 'appt.json'), '{}', { mode: 0o644 });
    chmodSync(join(dataDir, 'appt.json'), 0o644);
    // not the server's: left alone (a data directory may be pointed at a shared directory)
    writeFileSync(join(dataDir, 'notes.txt'), 'mine');
    chmodSync(join(dataDir, 'notes.txt'), 0o644);
    const srv = await startServerProcess({ dataDir, umask: '000' });
    servers.push(srv);
    await book(srv);
    const mail = join(dataDir, 'mail');
    const eml = await until(
      () => (existsSync(mail) ? readdirSync(mail).find((f) => f.endsWith('.eml')) : undefined),
      20_000,
      'an .eml file',
    );
    // the ICS export runs at start-up (then every 5 minutes): restart to get one now
    expect(await srv.stop('SIGTERM')).toBe(0);
    servers.push(await startServerProcess({ dataDir, umask: '000' }));
    const ics = await until(
      () =>
        existsSync(join(dataDir, 'exports'))
          ? readdirSync(join(dataDir, 'exports')).find((f) => f.endsWith('.ics'))
          : undefined,
      20_000,
      'an ICS export',
    );
    const backup = join(newDataDir(), 'b.db');
    const r = await run(['admin', 'backup', '--data-dir', dataDir, '--to', backup], '000');
    expect(r.stderr).toContain('integrity ok');
    expect(r.code).toBe(0);

    expect(mode(dataDir)).toBe('700');
    for (const f of [
      'appt.db',
      'appt.db-wal',
      'appt.db-shm',
      'admin.token',
      'secrets.json',
      'appt.json',
      'server.lock',
    ])
      expect([f, mode(join(dataDir, f))]).toEqual([f, '600']);
    expect(mode(mail)).toBe('700');
    expect(mode(join(mail, eml))).toBe('600');
    expect(mode(join(dataDir, 'exports'))).toBe('700');
    expect(mode(join(dataDir, 'exports', ics))).toBe('600');
    expect(mode(backup)).toBe('600');
    // and nothing else in the directory is readable by others
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? [join(d, e.name), ...walk(join(d, e.name))] : [join(d, e.name)],
      );
    expect(mode(join(dataDir, 'notes.txt'))).toBe('644');
    const loose = walk(dataDir).filter((p) => (statSync(p).mode & 0o077) !== 0 && !p.endsWith('notes.txt'));
    expect(loose).toEqual([]);
  });
});

describe('12.8 one server per data directory', () => {
  it('a second appt serve on the same data directory refuses with a one-line reason; the lock goes with the first', async () => {
    const dataDir = newDataDir();
    const first = await startServerProcess({ dataDir });
    servers.push(first);
    const lock = join(dataDir, 'server.lock');
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(first.child.pid));

    const second = await run(['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'silent']);
    expect(second.code).not.toBe(0);
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^appt: another appt server \\(pid ${first.child.pid}\\) is using `));
    // the first one is untouched
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);

    // released on a clean stop: the next server starts
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(existsSync(lock)).toBe(false);
    const third = await startServerProcess({ dataDir });
    servers.push(third);
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(third.child.pid));
  });

  it('a lock left by a killed server is stale and taken over', async () => {
    const dataDir = newDataDir();
    const first = await startServerProcess({ dataDir });
    await first.stop('SIGKILL');
    expect(existsSync(join(dataDir, 'server.lock'))).toBe(true);
    const next = await startServerProcess({ dataDir });
    servers.push(next);
    expect(readFileSync(join(dataDir, 'server.lock'), 'utf8').trim()).toBe(String(next.child.pid));
  });
});
