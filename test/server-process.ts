import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Db, openDatabase } from '../server/db/open.js';
import { freshPgDatabase, PG_SUITE } from '../server/testing/pg.js';

export const ROOT = new URL('..', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin', 'appt');

export interface ServerProcess {
  url: string;
  dataDir: string;
  adminToken: string;
  child: ChildProcess;
  stderr: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** removes the data directory (and, in the PostgreSQL run, drops its database) */
  cleanup(): Promise<void>;
}

/**
 * The PostgreSQL run of the suite (vitest.pg.config.ts): each data directory gets a database
 * of its own, made the first time a server (or a CLI command) starts on it and kept for the
 * restarts on the same directory, as the SQLite file in it would be. The run's teardown
 * drops any a test leaves behind.
 */
const pgOfDir = new Map<string, { url: string; drop(): Promise<void> }>();

/** The environment that points `appt` at the data directory's database: `{}` on SQLite. */
export async function backendEnv(dataDir: string): Promise<Record<string, string>> {
  if (!PG_SUITE) return {};
  const key = resolve(dataDir);
  let db = pgOfDir.get(key);
  if (!db) {
    db = await freshPgDatabase({ migrated: true });
    pgOfDir.set(key, db);
  }
  return { APPT_DATABASE_URL: db.url };
}

/**
 * A second data directory on the first one's database (two processes, one database): on
 * SQLite the test links the file; in the PostgreSQL run the second directory is given the
 * first one's database, which its own cleanup then leaves to the first.
 */
export async function shareBackend(fromDir: string, toDir: string): Promise<void> {
  if (!PG_SUITE) return;
  const { APPT_DATABASE_URL: url } = await backendEnv(fromDir);
  pgOfDir.set(resolve(toDir), { url, drop: async () => {} });
}

/**
 * The database of a server's data directory, opened beside the server (never migrated
 * here): its SQLite file, or in the PostgreSQL run the database the directory was given.
 */
export async function openServerDatabase(dataDir: string): Promise<Db> {
  const url = pgOfDir.get(resolve(dataDir))?.url;
  return openDatabase({ dbPath: join(dataDir, 'appt.db'), databaseUrl: url }, { migrate: false });
}

/** Drops the data directory's PostgreSQL database, if it has one (the PostgreSQL run). */
export async function dropBackend(dataDir: string): Promise<void> {
  const key = resolve(dataDir);
  const db = pgOfDir.get(key);
  if (!db) return;
  pgOfDir.delete(key);
  // a server still running on it is disconnected (WITH (FORCE)); a failure here leaves the
  // database to the run's teardown rather than failing the test that cleans up
  await db.drop().catch(() => {});
}

/** Starts the real `bin/appt serve` on a random port and waits for "listening on …". */
export async function startServerProcess(
  opts: {
    dataDir?: string;
    args?: string[];
    env?: Record<string, string>;
    timeoutMs?: number;
    /** run under this umask (octal string, e.g. '000'): file modes must not depend on it */
    umask?: string;
  } = {},
): Promise<ServerProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'appt-e2e-'));
  const argv = [
    BIN,
    'serve',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--log-level',
    'silent',
    ...(opts.args ?? []),
  ];
  const env = {
    ...process.env,
    NO_COLOR: '1',
    ...(opts.env?.APPT_DATABASE_URL ? {} : await backendEnv(dataDir)),
    ...opts.env,
  };
  const child = opts.umask
    ? spawn('/bin/sh', ['-c', `umask ${opts.umask} && exec "$@"`, 'sh', process.execPath, ...argv], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    : spawn(process.execPath, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${err}`)), opts.timeoutMs ?? 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`server exited ${code}: ${err}`));
    });
  });
  return {
    url,
    dataDir,
    adminToken: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim(),
    child,
    stderr: () => err,
    stop(signal = 'SIGTERM') {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      });
    },
    async cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
      await dropBackend(dataDir);
    },
  };
}

/** JSON over fetch with a bearer token. */
export async function api(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const r = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text, headers: r.headers };
}

/** A provider (given zone, 09–17 every day), a 30- and a 60-minute service and one customer. */
export async function seedCatalog(base: string, admin: string, zone = 'America/New_York') {
  const p = await api(base, admin, 'POST', '/admin/providers', { name: 'Race Clinic', timezone: zone });
  await api(
    base,
    admin,
    'PUT',
    `/admin/providers/${p.json.id}/hours`,
    [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
  );
  const s30 = await api(base, admin, 'POST', '/admin/services', {
    providerId: p.json.id,
    title: 'Short',
    durationMinutes: 30,
    priceCents: 1000,
  });
  const s60 = await api(base, admin, 'POST', '/admin/services', {
    providerId: p.json.id,
    title: 'Long',
    durationMinutes: 60,
    slotStepMinutes: 30,
    priceCents: 2000,
  });
  const u = await api(base, admin, 'POST', '/admin/users', { name: 'Racer', email: 'racer@example.com' });
  const staff = await api(base, admin, 'POST', '/admin/tokens', { name: 'desk', role: 'staff' });
  return {
    providerId: p.json.id as string,
    s30: s30.json.id as string,
    s60: s60.json.id as string,
    // one customer per email: a second catalog on the same server reuses it (409 email_taken names it)
    userId: (u.status === 409 ? u.json.userId : u.json.id) as string,
    staff: staff.json.token as string,
  };
}
