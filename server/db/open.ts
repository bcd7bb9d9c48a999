import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';
import { moveUrlCredentials } from '../catalog/credentials.js';

export type Sqlite = Database.Database;
export type Orm = BetterSQLite3Database<typeof schema>;
export interface Db {
  sqlite: Sqlite;
  orm: Orm;
  path: string;
}

/** Migrations are committed SQL under server/db/migrations; found from src (tests) or dist. */
export function migrationsFolder(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'migrations'), join(here, '..', '..', '..', 'server', 'db', 'migrations')];
  for (const c of candidates) if (existsSync(join(c, 'meta', '_journal.json'))) return c;
  throw new Error(`migrations folder not found (looked in ${candidates.join(', ')})`);
}

/**
 * Opens the database with the pragmas the design requires and applies migrations.
 * `synchronous=FULL`: an acknowledged booking survives power loss.
 * `path` may be ':memory:' for unit tests.
 */
export function openDb(path: string, opts: { migrate?: boolean; readonly?: boolean } = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path, { readonly: opts.readonly ?? false });
  sqlite.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    if (path !== ':memory:') sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
  }
  sqlite.pragma('foreign_keys = ON');
  const orm = drizzle(sqlite, { schema });
  const db = { sqlite, orm, path };
  if (opts.migrate !== false && !opts.readonly) {
    migrate(orm, { migrationsFolder: migrationsFolder() });
    moveUrlCredentials(db, Date.now());
  }
  return db;
}

/**
 * Runs `fn` inside one `BEGIN IMMEDIATE` transaction: the write lock is taken up front so
 * a check-and-write cannot interleave with another process's. `fn` must be synchronous —
 * never pass an async callback here.
 */
export function immediate<T>(db: Db, fn: () => T): T {
  return db.sqlite.transaction(fn).immediate();
}

export function isConstraintError(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    String((e as { code?: string }).code).startsWith('SQLITE_CONSTRAINT')
  );
}

const cache = new WeakMap<Sqlite, Map<string, Database.Statement>>();
/**
 * A prepared statement, cached per connection. Hot paths use these (placeholders, no
 * query builder): drizzle's builder costs ~40% per call on this machine.
 */
export function stmt<R = any>(db: Db, sql: string): Database.Statement<unknown[], R> {
  let m = cache.get(db.sqlite);
  if (!m) cache.set(db.sqlite, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.sqlite.prepare(sql)));
  return s as Database.Statement<unknown[], R>;
}
