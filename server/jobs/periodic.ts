import { claimPeriodicRun } from '../db/pg-counters.js';
import type { JobDeps } from '../notifications/types.js';

/**
 * A periodic job that runs once per interval across every process on the database. On
 * PostgreSQL several processes each tick it (workers of `appt serve --workers N`, servers on
 * other machines): the run takes a session advisory lock (no two at once) and claims its
 * interval in `job_runs` (no second run in the same interval). SQLite has one server
 * process per database: it just runs.
 */
export function oncePerInterval<T>(
  name: string,
  intervalMs: number,
  run: (deps: JobDeps, signal: AbortSignal) => Promise<T>,
): (deps: JobDeps, signal: AbortSignal) => Promise<T | { skipped: string }> {
  return async (deps, signal) => {
    if (deps.db.dialect !== 'pg') return await run(deps, signal);
    type Outcome = { ran: true; result: T } | { ran: false; skipped: string };
    const done = await deps.db.exclusive<Outcome>(`appt:job:${name}`, async () =>
      (await claimPeriodicRun(deps.db, name, intervalMs))
        ? { ran: true, result: await run(deps, signal) }
        : { ran: false, skipped: 'already run this interval by another process' },
    );
    if (!done) return { skipped: 'running in another process' };
    return done.ran ? done.result : { skipped: done.skipped };
  };
}
