import { skipLocked } from '../db/port.js';
import { type Db, stmt } from '../db/open.js';
import type { Outgoing } from './render.js';
import { emailTransport, type Transport, webhookTransport } from './transports.js';
import {
  backoffMs,
  type Channel,
  DEFAULT_RETRY,
  type JobDeps,
  PermanentError,
  type RetryPolicy,
} from './types.js';

/** Longer than any single send can take (SMTP timeouts 10 s/10 s/30 s, webhook timeout 10 s). */
export const DEFAULT_LEASE_MS = 120_000;

export type Transports = Partial<Record<Channel, Transport>>;

/** The transports the configuration asks for (email always: SMTP or .eml files). */
export function transportsFrom(
  deps: Pick<JobDeps, 'config' | 'clock'>,
  opts: { concurrency?: number; webhookTimeoutMs?: number } = {},
): Transports {
  const { config, clock } = deps;
  const t: Transports = {
    email: emailTransport({
      smtpUrl: config.smtpUrl,
      dataDir: config.dataDir,
      from: config.mailFrom,
      concurrency: opts.concurrency,
    }),
  };
  if (config.smsWebhookUrl)
    t.sms = webhookTransport({
      url: config.smsWebhookUrl,
      secret: config.webhookSecret,
      clock,
      timeoutMs: opts.webhookTimeoutMs,
    });
  if (config.pushWebhookUrl)
    t.push = webhookTransport({
      url: config.pushWebhookUrl,
      secret: config.webhookSecret,
      clock,
      timeoutMs: opts.webhookTimeoutMs,
    });
  return t;
}

export function closeTransports(t: Transports): void {
  for (const x of Object.values(t)) x?.close();
}

interface Row {
  id: string;
  event_id: string;
  channel: Channel;
  recipient: string;
  template: Outgoing['template'];
  message_id: string;
  attempts: number;
  payload: string;
}

export interface SendOptions {
  /** how many messages are in flight at once (the most a crash can duplicate) */
  concurrency?: number;
  /** how many rows one claim takes */
  batch?: number;
  /** how long a claim holds a row; a crashed sender's rows come back after it */
  leaseMs?: number;
  retry?: RetryPolicy;
}

export interface SendResult {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
}

/**
 * Claims due rows under a lease, in one BEGIN IMMEDIATE transaction, so two senders never
 * take the same row; `attempts` counts claims, so a message that keeps crashing its sender
 * is still dead-lettered.
 */
export async function claimDue(db: Db, now: number, limit: number, leaseMs: number): Promise<Outgoing[]> {
  return await db.transaction(async (tx) => {
    const rows = await stmt<Row>(
      tx,
      `SELECT id, event_id, channel, recipient, template, message_id, attempts, payload FROM notifications
        WHERE status = 'queued' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
        ORDER BY next_attempt_at, id LIMIT ?${skipLocked(tx)}`,
    ).all(now, now, limit);
    const claim = stmt(
      tx,
      'UPDATE notifications SET claimed_until = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?',
    );
    for (const r of rows) await claim.run(now + leaseMs, now, r.id);
    return rows.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      channel: r.channel,
      recipient: r.recipient,
      template: r.template,
      messageId: r.message_id,
      attempts: r.attempts + 1,
      payload: JSON.parse(r.payload),
    }));
  });
}

export async function markSent(
  db: Db,
  id: string,
  now: number,
  providerMessageId: string | undefined,
): Promise<void> {
  // only a queued row moves: a delivery webhook may already have said "delivered"
  await stmt(
    db,
    `UPDATE notifications SET status = 'sent', provider_message_id = coalesce(?, provider_message_id), claimed_until = NULL,
       last_error = NULL, updated_at = ? WHERE id = ? AND status = 'queued'`,
  ).run(providerMessageId ?? null, now, id);
}

/** Retry later with exponential backoff, or dead-letter (`failed`) when out of attempts or permanent. */
export async function markFailure(
  db: Db,
  n: Outgoing,
  now: number,
  err: unknown,
  retry: RetryPolicy,
): Promise<'retried' | 'failed'> {
  const dead = err instanceof PermanentError || n.attempts >= retry.maxAttempts;
  const message = String((err as Error)?.message ?? err).slice(0, 500);
  await stmt(
    db,
    `UPDATE notifications SET status = ?, next_attempt_at = ?, claimed_until = NULL, last_error = ?, updated_at = ?
      WHERE id = ? AND status = 'queued'`,
  ).run(dead ? 'failed' : 'queued', now + backoffMs(n.attempts, retry), message, now, n.id);
  return dead ? 'failed' : 'retried';
}

/**
 * One round: claim a batch, send it with at most `concurrency` messages in flight, record
 * each outcome as soon as it is known (so a crash can repeat only what was in flight).
 */
export async function sendDue(
  deps: JobDeps,
  transports: Transports,
  opts: SendOptions = {},
): Promise<SendResult> {
  const { db, clock, logger } = deps;
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const retry = opts.retry ?? DEFAULT_RETRY;
  // one claim per lane: a claimed row is sent at once, so the lease only has to outlast one
  // send (transport timeouts are well under it) and another sender never takes a row that
  // is merely waiting in this one's queue
  const batch = await claimDue(db, clock.now(), opts.batch ?? concurrency, opts.leaseMs ?? DEFAULT_LEASE_MS);
  const res: SendResult = { claimed: batch.length, sent: 0, retried: 0, failed: 0 };
  let next = 0;
  const worker = async () => {
    while (next < batch.length) {
      const n = batch[next++];
      const t = transports[n.channel];
      try {
        if (!t) throw new Error(`no ${n.channel} transport configured`);
        const r = await t.send(n);
        await markSent(db, n.id, clock.now(), r.providerMessageId);
        res.sent++;
      } catch (err) {
        const outcome = await markFailure(db, n, clock.now(), err, retry);
        res[outcome]++;
        logger.warn(
          { err, notificationId: n.id, channel: n.channel, attempts: n.attempts, outcome },
          'notification not sent',
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
  return res;
}

/** Sends until nothing is due (or `maxRounds`), for a job run or a test. */
export async function drainNotifications(
  deps: JobDeps,
  transports: Transports,
  opts: SendOptions & { maxRounds?: number; signal?: AbortSignal; budgetMs?: number } = {},
): Promise<SendResult> {
  const total: SendResult = { claimed: 0, sent: 0, retried: 0, failed: 0 };
  const until = Date.now() + (opts.budgetMs ?? Number.POSITIVE_INFINITY);
  for (let i = 0; i < (opts.maxRounds ?? 1000) && !opts.signal?.aborted && Date.now() < until; i++) {
    const r = await sendDue(deps, transports, opts);
    total.claimed += r.claimed;
    total.sent += r.sent;
    total.retried += r.retried;
    total.failed += r.failed;
    if (r.claimed === 0) break;
  }
  return total;
}
