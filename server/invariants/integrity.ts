import { type Db, SqliteDb } from '../db/open.js';

/** What SQLite's own page-level check says about the database file. */
export interface IntegrityResult {
  ok: boolean;
  /** the first message SQLite gave (absent when ok) */
  detail?: string;
  /** how many messages it gave (it stops at 100) */
  messages?: number;
}

/**
 * `PRAGMA integrity_check` (every page, every index entry against its row) or `quick_check`
 * (every page and b-tree, without matching index entries to rows: O(N) instead of O(N log N))
 * on the database's read-only connection, so writers are not held up. A file damaged so
 * badly that the pragma itself cannot read it is a failed check, not an exception.
 *
 * PostgreSQL has no equivalent (its pages carry checksums only when the cluster was
 * initialised with them, and a bad page fails the query that reads it): undefined, the
 * check is skipped there.
 */
export function sqliteIntegrity(
  db: Db,
  mode: 'integrity_check' | 'quick_check',
): IntegrityResult | undefined {
  if (!(db instanceof SqliteDb)) return undefined;
  let rows: Record<string, unknown>[];
  try {
    rows = db.reader.pragma(`${mode}(100)`) as Record<string, unknown>[];
  } catch (e) {
    return { ok: false, detail: `${mode} could not read the database: ${(e as Error).message}`, messages: 1 };
  }
  const messages = rows.map((r) => String(Object.values(r)[0]));
  if (messages.length === 1 && messages[0] === 'ok') return { ok: true };
  return { ok: false, detail: messages[0] ?? `${mode} gave no answer`, messages: messages.length };
}
