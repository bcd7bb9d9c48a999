import type { Db } from './port.js';

/**
 * Counters shared by every process on one PostgreSQL database (tables of migration
 * 0004_rate_limits.sql). Times come from the database's clock, the one clock all the
 * processes — on one machine or several — agree on.
 */
const NOW_MS = '(extract(epoch from now()) * 1000)::bigint';

export interface WindowHit {
  /** hits in the current window, this one included */
  count: number;
  /** ms until the window ends */
  ttlMs: number;
}

/**
 * Counts one hit on `key` in a window of `windowMs` that starts at the key's first hit (and
 * again at the first hit after it ended): one atomic UPSERT, so concurrent hits from any
 * number of processes are each counted once and each sees its own total.
 */
export async function hitWindow(db: Db, key: string, windowMs: number): Promise<WindowHit> {
  const r = await db.get<{ hits: number; ttl: number }>(
    `INSERT INTO rate_limits AS r (key, hits, reset_at) VALUES (?, 1, ${NOW_MS} + ?)
     ON CONFLICT (key) DO UPDATE SET
       hits = CASE WHEN r.reset_at <= ${NOW_MS} THEN 1 ELSE r.hits + 1 END,
       reset_at = CASE WHEN r.reset_at <= ${NOW_MS} THEN ${NOW_MS} + ? ELSE r.reset_at END
     RETURNING hits, reset_at - ${NOW_MS} AS ttl`,
    [key, windowMs, windowMs],
  );
  return { count: Number(r?.hits ?? 1), ttlMs: Math.max(0, Number(r?.ttl ?? windowMs)) };
}

/** Drops counters whose window ended over an hour ago (the pruning job). */
export async function pruneCounters(db: Db): Promise<number> {
  return (await db.run(`DELETE FROM rate_limits WHERE reset_at < ${NOW_MS} - 3600000`)).changes;
}

/**
 * Claims this interval's run of a periodic job: true for exactly one caller per
 * `intervalMs` (less a tenth, so a tick that comes a little early still runs) across all
 * processes.
 */
export async function claimPeriodicRun(db: Db, name: string, intervalMs: number): Promise<boolean> {
  const r = await db.get(
    `INSERT INTO job_runs AS j (name, last_run_at) VALUES (?, ${NOW_MS})
     ON CONFLICT (name) DO UPDATE SET last_run_at = ${NOW_MS}
       WHERE j.last_run_at <= ${NOW_MS} - ?
     RETURNING name`,
    [name, Math.floor(intervalMs * 0.9)],
  );
  return r !== undefined;
}
