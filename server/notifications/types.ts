import { createHash } from 'node:crypto';
import type { AppContext } from '../context.js';

/** What a job needs: its own database handle, a clock, the config and a logger (no bus). */
export type JobDeps = Pick<AppContext, 'db' | 'clock' | 'config' | 'logger'>;

export type Channel = 'email' | 'sms' | 'push';
export type Template = 'confirmed' | 'requested' | 'rescheduled' | 'cancelled' | 'reminder' | 'attention';

/** Retry policy shared by the outbox dispatcher, the senders and calendar sync. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 30_000, maxDelayMs: 3_600_000 };

/** Exponential backoff after the n-th failed attempt (n ≥ 1): base, 2·base, 4·base … capped. */
export function backoffMs(attempts: number, p: RetryPolicy = DEFAULT_RETRY): number {
  return Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * The stable Message-ID: event id + a hash of the recipient. A message sent twice (the one in
 * flight at a crash) carries the same id, so mail clients and the sink can tell.
 */
export function messageIdFor(eventId: string, channel: Channel, recipient: string): string {
  const who = channel === 'email' ? recipient.toLowerCase() : `${channel}:${recipient}`;
  const h = createHash('sha256').update(who).digest('hex').slice(0, 16);
  return `<${eventId}.${h}@appt>`;
}

/** A failure that retrying cannot fix (a 4xx from a gateway): dead-lettered at once. */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}
