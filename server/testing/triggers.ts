import type { Db } from '../db/port.js';

/**
 * What someone with direct access to the database can do and the application never does:
 * switch a guarding trigger off (to rewrite or remove audit history, say) so a test can
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
