import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { verifyAudit } from '../audit/audit.js';
import { openDb } from '../db/open.js';
import { privateDir, privateFile } from './files.js';

/**
 * Backups of the local data directory. A backup is SQLite's online backup API run from a
 * second, read-only connection, so it is safe while a server writes (WAL readers never
 * block writers), followed by `PRAGMA integrity_check` on the copy. A restore refuses while
 * a server process uses the directory: servers leave a run file there while they live.
 */
export const DB_FILE = 'appt.db';
export const RUN_DIR = 'run';

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
  integrity: 'ok';
  appointments: number;
  auditEntries: number;
  tookMs: number;
}

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

export function dbFileOf(dataDir: string): string {
  return join(resolve(dataDir), DB_FILE);
}

/** Opens a database file read-only and runs integrity_check; throws with the first problem. */
export function verifyDatabaseFile(file: string): { appointments: number; auditEntries: number } {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new BackupError(`${file} is not a SQLite database (${(e as Error).message})`);
  }
  try {
    let rows: { integrity_check: string }[];
    try {
      rows = db.pragma('integrity_check') as { integrity_check: string }[];
    } catch (e) {
      throw new BackupError(`${file} is not a SQLite database (${(e as Error).message})`);
    }
    if (rows.length !== 1 || rows[0].integrity_check !== 'ok')
      throw new BackupError(`integrity_check failed on ${file}: ${rows[0]?.integrity_check ?? 'no answer'}`);
    const has = (t: string) =>
      Boolean(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t));
    if (!has('appointments') || !has('audit_entries') || !has('__drizzle_migrations'))
      throw new BackupError(`${file} is not an appt database (tables missing)`);
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      appointments: n('SELECT COUNT(*) AS n FROM appointments'),
      auditEntries: n('SELECT COUNT(*) AS n FROM audit_entries'),
    };
  } finally {
    db.close();
  }
}

/** Online backup of <dataDir>/appt.db into `to` (a new file), then an integrity check of the copy. */
export async function backupDataDir(
  dataDir: string,
  to: string,
  now = () => Date.now(),
): Promise<BackupResult> {
  const src = dbFileOf(dataDir);
  if (!existsSync(src)) throw new BackupError(`no database at ${src} (check --data-dir / APPT_DATA_DIR)`);
  const dest = resolve(to);
  if (dest === src) throw new BackupError('the backup file must not be the live database');
  if (existsSync(dest)) throw new BackupError(`${dest} already exists; choose a new file`);
  mkdirSync(dirname(dest), { recursive: true });
  const t0 = now();
  const tmp = `${dest}.partial`;
  rmSync(tmp, { force: true });
  const db = new Database(src, { readonly: true, fileMustExist: true });
  let pages = 0;
  try {
    db.pragma('busy_timeout = 5000');
    // Copy in steps so a busy server keeps writing between them; a page changed mid-copy
    // restarts the step (SQLite's backup API takes care of that).
    await db.backup(tmp, {
      progress: (p) => {
        pages = p.totalPages;
        return 256;
      },
    });
  } finally {
    db.close();
  }
  try {
    // One self-contained file: the copy inherits WAL mode; switch it back to a rollback journal.
    const copy = new Database(tmp);
    try {
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    const counts = verifyDatabaseFile(tmp);
    privateFile(tmp);
    renameSync(tmp, dest);
    return {
      file: dest,
      bytes: statSync(dest).size,
      pages,
      integrity: 'ok',
      ...counts,
      tookMs: now() - t0,
    };
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export interface LiveServer {
  pid: number;
  url?: string;
  startedAt?: string;
  file: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else — still alive
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Servers that say (by their run file) they use this data directory and are still alive. */
export function liveServers(dataDir: string): LiveServer[] {
  const dir = join(resolve(dataDir), RUN_DIR);
  if (!existsSync(dir)) return [];
  const out: LiveServer[] = [];
  for (const name of readdirSync(dir)) {
    if (!/^server-\d+.*\.json$/.test(name)) continue;
    const file = join(dir, name);
    try {
      const info = JSON.parse(readFileSync(file, 'utf8')) as Omit<LiveServer, 'file'>;
      if (Number.isInteger(info.pid) && alive(info.pid)) out.push({ ...info, file });
      // a run file left by a crashed process is stale: remove it so it does not block a restore
      else rmSync(file, { force: true });
    } catch {
      rmSync(file, { force: true });
    }
  }
  return out;
}

/** Written by a server when it starts listening; removed when it stops. Returns the remover. */
export function writeRunFile(dataDir: string, info: { url: string; port: number }): () => void {
  const dir = privateDir(join(resolve(dataDir), RUN_DIR));
  const file = join(dir, `server-${process.pid}-${info.port}.json`);
  writeFileSync(
    file,
    JSON.stringify({ pid: process.pid, url: info.url, startedAt: new Date().toISOString() }),
    { mode: 0o600 },
  );
  return () => rmSync(file, { force: true });
}

export interface RestoreResult {
  file: string;
  from: string;
  /** the database that was replaced, kept beside it */
  previous: string | null;
  appointments: number;
  auditEntries: number;
}

/**
 * Replaces <dataDir>/appt.db by a verified backup. Refuses while a server uses the data
 * directory, and refuses a backup that fails SQLite's integrity check or whose audit log
 * does not verify (an edited entry, a removed one, a removed tail): such a file is evidence,
 * not a database to run on. The check runs on the migrated copy that becomes the new
 * database, so nothing is moved before it passes. The replaced database is kept as
 * appt.db.before-restore-<time>.
 */
export async function restoreDataDir(
  dataDir: string,
  from: string,
  now = () => Date.now(),
): Promise<RestoreResult> {
  const live = liveServers(dataDir);
  if (live.length)
    throw new BackupError(
      `a server (pid ${live.map((l) => l.pid).join(', ')}${live[0].url ? ` at ${live[0].url}` : ''}) is using ${resolve(dataDir)}; stop it first`,
    );
  const source = resolve(from);
  const counts = verifyDatabaseFile(source);
  const target = dbFileOf(dataDir);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.restoring`;
  const clean = () => {
    for (const side of ['', '-wal', '-shm', '-journal']) rmSync(tmp + side, { force: true });
  };
  clean();
  copyFileSync(source, tmp);
  privateFile(tmp);
  try {
    const db = await openDb(tmp);
    try {
      const v = await verifyAudit(db);
      if (!v.ok)
        throw new BackupError(
          `the audit log in ${source} does not verify (${v.detail ?? `broken at ${v.firstBadId}`}); nothing was restored`,
        );
    } finally {
      await db.close();
    }
  } catch (e) {
    clean();
    throw e;
  }
  let previous: string | null = null;
  if (existsSync(target)) {
    // Fold the WAL into the old file first, so the kept copy is whole on its own.
    const old = new Database(target);
    try {
      old.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      old.close();
    }
    previous = `${target}.before-restore-${new Date(now()).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(target, previous);
  }
  for (const side of ['-wal', '-shm', '-journal']) rmSync(target + side, { force: true });
  renameSync(tmp, target);
  clean();
  return { file: target, from: source, previous, ...counts };
}
