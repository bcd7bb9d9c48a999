import { sqliteOf } from '../db/open.js';
import type { Db, Queryable } from '../db/port.js';

/*
 * What someone with direct access to the database can do and the application never does,
 * for tests that check the application copes: dialect-aware, so they run on both backends.
 */

/**
 * Switch a guarding trigger off (to rewrite or remove audit history, say) so a test can
 * check that verification notices. Dialect-aware: SQLite drops the trigger (and keeps its
 * definition from sqlite_master to put it back), PostgreSQL disables it
 * (`ALTER TABLE … DISABLE TRIGGER`). Resolves to a function that restores it.
 */
export async function disableTrigger(db: Db, table: string, trigger: string): Promise<() => Promise<void>> {
  if (db.dialect === 'pg') {
    await db.run(`ALTER TABLE "${table}" DISABLE TRIGGER "${trigger}"`);
    return async () => {
      await db.run(`ALTER TABLE "${table}" ENABLE TRIGGER "${trigger}"`);
    };
  }
  const row = await db.get<{ sql: string }>(
    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ? AND tbl_name = ?",
    [trigger, table],
  );
  if (!row) throw new Error(`no trigger ${trigger} on ${table}`);
  await db.run(`DROP TRIGGER "${trigger}"`);
  return async () => {
    await db.run(row.sql);
  };
}

/**
 * Runs `fn` with foreign keys unchecked (a row deleted under the feet of rows that name it).
 * SQLite: `PRAGMA foreign_keys = OFF` on the connection, between transactions; PostgreSQL:
 * one transaction with `session_replication_role = replica` (skips the FK triggers; needs
 * a superuser, as the test server's `postgres` is).
 */
export async function withoutForeignKeys(db: Db, fn: (q: Queryable) => Promise<void>): Promise<void> {
  if (db.dialect === 'pg') {
    await db.transaction(async (tx) => {
      await tx.run('SET LOCAL session_replication_role = replica');
      await fn(tx);
    });
    return;
  }
  const raw = sqliteOf(db);
  raw.pragma('foreign_keys = OFF');
  try {
    await fn(db);
  } finally {
    raw.pragma('foreign_keys = ON');
  }
}

/**
 * Lets overlapping active appointments in — what a broken overlap check in the domain would
 * let through — so a test can check the invariant checkers see them. PostgreSQL drops the
 * exclusion constraint that backs the check (migration 0001); SQLite has no such backstop.
 */
export async function dropOverlapBackstop(db: Queryable): Promise<void> {
  if (db.dialect === 'pg')
    await db.run('ALTER TABLE "appointments" DROP CONSTRAINT "appointments_no_overlap"');
}
