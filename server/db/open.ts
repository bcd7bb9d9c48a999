import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { moveUrlCredentials } from '../catalog/credentials.js';
import { redactUrl } from '../../shared/redact.js';
import type { Db } from './port.js';
import * as schema from './schema.js';
import { type Sqlite, SqliteDb } from './sqlite.js';
import { privateFile } from '../ops/files.js';

export type { Db, Queryable, Tx } from './port.js';
export { guarded, isConstraintError, stmt } from './port.js';
export type { Sqlite } from './sqlite.js';
export { SqliteDb } from './sqlite.js';

/** Migrations are committed SQL under server/db/migrations; found from src (tests) or dist. */
export function migrationsFolder(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'migrations'), join(here, '..', '..', '..', 'server', 'db', 'migrations')];
  for (const c of candidates) if (existsSync(join(c, 'meta', '_journal.json'))) return c;
  throw new Error(`migrations folder not found (looked in ${candidates.join(', ')})`);
}

function connect(path: string, readonly: boolean): Sqlite {
  const sqlite = new Database(path, { readonly });
  sqlite.pragma('busy_timeout = 5000');
  if (!readonly) {
    if (path !== ':memory:') sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
  }
  sqlite.pragma('foreign_keys = ON');
  return sqlite;
}

/**
 * Opens the SQLite database with the pragmas the design requires and applies migrations.
 * `synchronous=FULL`: an acknowledged booking survives power loss.
 * `path` may be ':memory:' for unit tests.
 */
export async function openDb(
  path: string,
  opts: { migrate?: boolean; readonly?: boolean; groupCommit?: boolean } = {},
): Promise<Db> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const readonly = opts.readonly ?? false;
  const sqlite = connect(path, readonly);
  if (opts.migrate !== false && !readonly)
    migrate(drizzle(sqlite, { schema }), { migrationsFolder: migrationsFolder() });
  // a second connection for reads outside transactions (see SqliteDb); WAL makes it cheap
  const reader = path !== ':memory:' && !readonly ? connect(path, true) : undefined;
  // customer data: 0600 whatever the umask (SQLite gives a new -wal/-shm the database's mode)
  if (path !== ':memory:' && !readonly) for (const f of ['', '-wal', '-shm']) privateFile(path + f);
  const db = new SqliteDb(sqlite, path, reader, { groupCommit: opts.groupCommit ?? false });
  if (opts.migrate !== false && !readonly) await moveUrlCredentials(db, Date.now());
  return db;
}

/**
 * PostgreSQL through node-postgres: a pool, `bigint`/`numeric` read back as numbers (every
 * integer here is an instant in ms or a count, far below 2^53), migrations applied under an
 * advisory lock.
 */
export async function openPg(url: string, opts: { migrate?: boolean; max?: number } = {}): Promise<Db> {
  const { default: pg } = await import('pg');
  const { PgDb } = await import('./pg.js');
  const { migratePg } = await import('./pg-migrate.js');
  pg.types.setTypeParser(20, (v: string) => Number(v));
  pg.types.setTypeParser(1700, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10 });
  // an idle client that errors (server restart) must not crash the process; the next query reconnects
  pool.on('error', () => {});
  if (opts.migrate !== false) await migratePg(pool);
  return new PgDb(pool, redactUrl(url) ?? 'postgres');
}

/** The database a configuration names: PostgreSQL when APPT_DATABASE_URL is set, else the SQLite file. */
export async function openDatabase(
  c: { dbPath: string; databaseUrl?: string | undefined; groupCommit?: boolean },
  opts: { migrate?: boolean } = {},
): Promise<Db> {
  return c.databaseUrl
    ? openPg(c.databaseUrl, opts)
    : openDb(c.dbPath, { ...opts, groupCommit: c.groupCommit ?? false });
}

/** The SQLite connection behind a database, for SQLite-only work (backup, pragmas, tests). */
export function sqliteOf(db: Db): Sqlite {
  if (db instanceof SqliteDb) return db.sqlite;
  throw new Error(`this needs the SQLite backend (the database is ${db.dialect})`);
}
