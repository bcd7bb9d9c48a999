import type { AppContext } from '../context.js';
import type { DomainEvent, DomainEvents, Topic } from '../events.js';
import { type Db, stmt, type Tx } from '../db/open.js';
import { newId } from '../ids.js';

/** The PostgreSQL NOTIFY channel committed events travel on between processes. */
export const EVENTS_CHANNEL = 'appt_events';

/** What a write transaction can do besides SQL: record events for after commit. */
export interface WriteScope {
  now: number;
  /** the transaction: every statement of the change goes through it */
  db: Tx;
  /**
   * Records an event: written to the outbox in this transaction (jobs deliver it) unless
   * `realtimeOnly`, and published on the in-process bus once the transaction commits.
   */
  emit<T extends Topic>(
    topic: T,
    payload: DomainEvents[T],
    opts?: { realtimeOnly?: boolean },
  ): DomainEvent<T>;
}

export async function insertOutbox(db: Db, e: DomainEvent): Promise<void> {
  await stmt(
    db,
    `INSERT INTO outbox (id, topic, payload, status, attempts, next_attempt_at, created_at)
     VALUES (?, ?, ?, 'pending', 0, ?, ?)`,
  ).run(e.id, e.topic, JSON.stringify(e.payload), e.at, e.at);
}

/**
 * Runs `fn` in one write transaction (SQLite: BEGIN IMMEDIATE) with a scope for events.
 * Outbox rows are written in the same transaction, just before it commits; after commit the
 * events go to the bus once (realtime takes this in-process path and never waits for a
 * job). If `fn` throws, nothing is written and nothing is published. On PostgreSQL a
 * retried transaction starts again with no events.
 */
export async function write<T>(
  ctx: Pick<AppContext, 'db' | 'clock' | 'bus'>,
  fn: (w: WriteScope) => Promise<T> | T,
): Promise<T> {
  let events: DomainEvent[] = [];
  const result = await ctx.db.transaction(async (tx) => {
    events = [];
    const outbox: DomainEvent[] = [];
    const now = ctx.clock.now();
    const scope: WriteScope = {
      now,
      db: tx,
      emit(topic, payload, opts) {
        const e = { id: newId(), topic, payload, at: now } as DomainEvent<typeof topic>;
        if (!opts?.realtimeOnly) outbox.push(e as DomainEvent);
        events.push(e as DomainEvent);
        return e;
      },
    };
    const r = await fn(scope);
    for (const e of outbox) await insertOutbox(tx, e);
    // other processes on the same PostgreSQL database hear of the change exactly when it
    // commits (NOTIFY is transactional); SQLite has no other process to tell
    if (events.length) await tx.notify?.(EVENTS_CHANNEL, JSON.stringify({ o: ctx.bus.origin, e: events }));
    return r;
  });
  ctx.bus.publish(events);
  return result;
}
