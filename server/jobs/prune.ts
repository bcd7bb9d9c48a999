import { stmt } from '../db/open.js';
import { pruneCounters } from '../db/pg-counters.js';
import { pruneIdempotency } from '../idempotency/idempotency.js';
import type { JobDeps } from '../notifications/types.js';
import { pruneSignatures } from '../webhooks/signature.js';

/** How long delivered outbox events are kept (for support questions), then dropped. */
export const OUTBOX_RETENTION_MS = 7 * 24 * 3_600_000;

/** Deletes handled outbox events past retention. Pending and dead rows stay: they still matter. */
export async function pruneOutbox(
  deps: Pick<JobDeps, 'db' | 'clock'>,
  retentionMs = OUTBOX_RETENTION_MS,
): Promise<number> {
  return (
    await stmt(deps.db, `DELETE FROM outbox WHERE status = 'done' AND processed_at < ?`).run(
      deps.clock.now() - retentionMs,
    )
  ).changes;
}

/** The pruning job: expired idempotency keys, old outbox events, old webhook signatures, dead rate-limit windows. */
export async function prune(
  deps: JobDeps,
): Promise<{ idempotency: number; outbox: number; signatures: number; rateLimits: number }> {
  const now = deps.clock.now();
  return {
    idempotency: await pruneIdempotency(deps.db, now),
    outbox: await pruneOutbox(deps),
    signatures: await pruneSignatures(deps.db, now),
    // PostgreSQL keeps the shared rate-limit counters in a table; SQLite's live in the process
    rateLimits: deps.db.dialect === 'pg' ? await pruneCounters(deps.db) : 0,
  };
}
