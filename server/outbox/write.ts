import type { AppContext, DomainEvent } from '../context.js';
import { type Db, immediate, stmt } from '../db/open.js';
import { newId } from '../ids.js';

/** What a write transaction can do besides SQL: record events for after commit. */
export interface WriteScope {
  now: number;
  /**
   * Records an event: written to the outbox in this transaction (jobs deliver it) unless
   * `realtimeOnly`, and published on the in-process bus once the transaction commits.
   */
  emit(topic: string, payload: Record<string, unknown>, opts?: { realtimeOnly?: boolean }): DomainEvent;
}

export function insertOutbox(db: Db, e: DomainEvent): void {
  stmt(
    db,
    `INSERT INTO outbox (id, topic, payload, status, attempts, next_attempt_at, created_at)
     VALUES (?, ?, ?, 'pending', 0, ?, ?)`,
  ).run(e.id, e.topic, JSON.stringify(e.payload), e.at, e.at);
}

/**
 * Runs `fn` in one BEGIN IMMEDIATE transaction with a scope for events; after commit the
 * events go to the bus (realtime takes this in-process path and never waits for a job).
 * If `fn` throws, nothing is written and nothing is published.
 */
export function write<T>(ctx: Pick<AppContext, 'db' | 'clock' | 'bus'>, fn: (w: WriteScope) => T): T {
  let events: DomainEvent[] = [];
  const result = immediate(ctx.db, () => {
    events = [];
    const now = ctx.clock.now();
    const scope: WriteScope = {
      now,
      emit(topic, payload, opts) {
        const e: DomainEvent = { id: newId(), topic, payload, at: now };
        if (!opts?.realtimeOnly) insertOutbox(ctx.db, e);
        events.push(e);
        return e;
      },
    };
    return fn(scope);
  });
  ctx.bus.publish(events);
  return result;
}
