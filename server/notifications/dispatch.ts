import { skipLocked } from '../db/port.js';
import type { Appointment } from '../../shared/schemas.js';
import { getAppointmentRow, toAppointment } from '../appointments/read.js';
import { type Db, stmt } from '../db/open.js';
import { newId } from '../ids.js';
import {
  backoffMs,
  type Channel,
  DEFAULT_RETRY,
  type JobDeps,
  messageIdFor,
  type RetryPolicy,
  type Template,
} from './types.js';

/** Outbox topics the dispatcher turns into deliveries; others are marked done untouched. */
export const DELIVERY_TOPICS = [
  'booking.confirmed',
  'booking.cancelled',
  'booking.rescheduled',
  'booking.updated',
];

interface OutboxRow {
  id: string;
  topic: string;
  payload: string;
  attempts: number;
  created_at: number;
}

export interface PlannedNotification {
  channel: Channel;
  recipient: string;
  role: 'customer' | 'provider';
}

/**
 * Which message an event deserves. booking.updated covers several changes: a booking that
 * waits for approval ("requested") is worth an email; an attention flag is for the provider
 * only; completed / no-show are bookkeeping and send nothing (calendar sync still runs).
 */
export function templateFor(topic: string, payload: Record<string, unknown>): Template | null {
  switch (topic) {
    case 'booking.confirmed':
      return 'confirmed';
    case 'booking.rescheduled':
      return 'rescheduled';
    case 'booking.cancelled':
      return 'cancelled';
    case 'booking.updated': {
      const u = (payload.updates ?? {}) as { status?: string; needsAttention?: boolean };
      if (u.status === 'upcoming') return 'requested';
      if (u.needsAttention === true) return 'attention';
      return null;
    }
    default:
      return null;
  }
}

/** Recipients of one template for one appointment, from the current catalog. */
export async function recipientsFor(
  db: Db,
  config: JobDeps['config'],
  a: Pick<Appointment, 'userId' | 'providerId'>,
  template: Template,
): Promise<PlannedNotification[]> {
  const user = await stmt<{ email: string; phone: string | null }>(
    db,
    'SELECT email, phone FROM users WHERE id = ?',
  ).get(a.userId);
  const provider = await stmt<{ email: string | null }>(db, 'SELECT email FROM providers WHERE id = ?').get(
    a.providerId,
  );
  const out: PlannedNotification[] = [];
  const forCustomer = template !== 'attention';
  if (forCustomer && user?.email) out.push({ channel: 'email', recipient: user.email, role: 'customer' });
  if (provider?.email) out.push({ channel: 'email', recipient: provider.email, role: 'provider' });
  if (forCustomer && user?.phone && config.smsWebhookUrl)
    out.push({ channel: 'sms', recipient: user.phone, role: 'customer' });
  if (forCustomer && config.pushWebhookUrl)
    out.push({ channel: 'push', recipient: `user:${a.userId}`, role: 'customer' });
  return out;
}

/** Queues notifications for an event; the unique (event, channel, recipient) index makes a rerun a no-op. */
export async function queueNotifications(
  db: Db,
  now: number,
  eventId: string,
  template: Template,
  appointment: Appointment,
  planned: PlannedNotification[],
  extra: Record<string, unknown>,
): Promise<number> {
  let n = 0;
  for (const p of planned) {
    const payload = JSON.stringify({ template, role: p.role, appointment, eventId, ...extra });
    n += (
      await stmt(
        db,
        `INSERT INTO notifications (id, event_id, appointment_id, channel, recipient, template, status, message_id,
         payload, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, 0, ?, ?, ?)
       ON CONFLICT (event_id, channel, recipient) DO NOTHING`,
      ).run(
        newId(),
        eventId,
        appointment.id,
        p.channel,
        p.recipient,
        template,
        messageIdFor(eventId, p.channel, p.recipient),
        payload,
        now,
        now,
        now,
      )
    ).changes;
  }
  return n;
}

/**
 * Marks the appointment for a CalDAV push when its provider has a calendar. The row is
 * state-based: the sync job pushes whatever the appointment is now, so `sequence` only
 * moves forward and several events collapse into one push.
 */
export async function queueCalendarSync(
  db: Db,
  now: number,
  appointmentId: string,
  providerId: string,
  version: number,
): Promise<number> {
  const p = await stmt<{ caldav_url: string | null }>(
    db,
    'SELECT caldav_url FROM providers WHERE id = ?',
  ).get(providerId);
  if (!p?.caldav_url) return 0;
  return (
    await stmt(
      db,
      `INSERT INTO calendar_sync (id, appointment_id, provider_id, target, external_uid, sequence, status, attempts,
       next_attempt_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
     ON CONFLICT (appointment_id, target) DO UPDATE SET
       sequence = CASE WHEN calendar_sync.sequence > excluded.sequence THEN calendar_sync.sequence ELSE excluded.sequence END,
       status = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at, last_error = NULL,
       updated_at = excluded.updated_at`,
    ).run(newId(), appointmentId, providerId, p.caldav_url, appointmentId, version, now, now)
  ).changes;
}

/** Everything one outbox event leads to; runs inside the caller's transaction. */
export async function applyEvent(
  db: Db,
  config: JobDeps['config'],
  now: number,
  row: OutboxRow,
): Promise<{ queued: number; calendar: number }> {
  if (!DELIVERY_TOPICS.includes(row.topic)) return { queued: 0, calendar: 0 };
  const payload = JSON.parse(row.payload) as Record<string, unknown>;
  const appointment = payload.appointment as Appointment | undefined;
  if (!appointment?.id) throw new Error(`outbox ${row.id} (${row.topic}) carries no appointment`);
  const template = templateFor(row.topic, payload);
  let queued = 0;
  if (template) {
    const extra: Record<string, unknown> = { topic: row.topic, at: row.created_at };
    for (const k of ['previous', 'next', 'reason', 'feeCents', 'refundCents'])
      if (payload[k] !== undefined) extra[k] = payload[k];
    queued = await queueNotifications(
      db,
      now,
      row.id,
      template,
      appointment,
      await recipientsFor(db, config, appointment, template),
      extra,
    );
  }
  const calendar = await queueCalendarSync(
    db,
    now,
    appointment.id,
    appointment.providerId,
    appointment.version,
  );
  return { queued, calendar };
}

export interface DispatchResult {
  events: number;
  notifications: number;
  calendar: number;
  failed: number;
}

/**
 * Drains due outbox rows. Each event is handled in one BEGIN IMMEDIATE transaction that
 * writes its notification/calendar rows and marks the event done, so a crash either did
 * all of it or none; a second dispatcher (another worker, another process) re-reads the
 * status inside its own transaction and skips what is done.
 */
export async function dispatchOutbox(
  deps: JobDeps,
  opts: { limit?: number; retry?: RetryPolicy } = {},
): Promise<DispatchResult> {
  const { db, clock, config, logger } = deps;
  const retry = opts.retry ?? DEFAULT_RETRY;
  const res: DispatchResult = { events: 0, notifications: 0, calendar: 0, failed: 0 };
  const due = await stmt<{ id: string }>(
    db,
    `SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
  ).all(clock.now(), opts.limit ?? 500);
  const handle = async (id: string) => {
    const now = clock.now();
    try {
      const done = await db.transaction(async (tx) => {
        const row = await stmt<OutboxRow>(
          tx,
          `SELECT id, topic, payload, attempts, created_at FROM outbox WHERE id = ? AND status = 'pending'${skipLocked(tx)}`,
        ).get(id);
        if (!row) return null;
        const r = await applyEvent(tx, config, now, row);
        await stmt(
          tx,
          `UPDATE outbox SET status = 'done', processed_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?`,
        ).run(now, id);
        return r;
      });
      if (done) {
        res.events++;
        res.notifications += done.queued;
        res.calendar += done.calendar;
      }
    } catch (err) {
      res.failed++;
      logger.warn({ err, outboxId: id }, 'outbox event failed; will retry');
      await db.transaction(async (tx) => {
        const r = await stmt<{ attempts: number }>(
          tx,
          `SELECT attempts FROM outbox WHERE id = ? AND status = 'pending'`,
        ).get(id);
        if (!r) return;
        const attempts = r.attempts + 1;
        const dead = attempts >= retry.maxAttempts;
        await stmt(
          tx,
          `UPDATE outbox SET attempts = ?, status = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`,
        ).run(
          attempts,
          dead ? 'dead' : 'pending',
          now + backoffMs(attempts, retry),
          String((err as Error)?.message ?? err).slice(0, 500),
          id,
        );
      });
    }
  };
  // SQLite: every event's transaction is queued on the writer at once, in this order (its
  // mutex is first come, first served), so the order is kept and group commit folds them
  // into a few durable COMMITs instead of one per event. PostgreSQL runs transactions
  // side by side, so there they go one after another to keep the order.
  if (db.dialect === 'sqlite') await Promise.all(due.map(({ id }) => handle(id)));
  else for (const { id } of due) await handle(id);
  return res;
}

/** Deterministic: one reminder per appointment and start time (a move into the window earns a new one). */
export function reminderEventId(appointmentId: string, startAt: number): string {
  return `reminder-${appointmentId}-${startAt}`;
}

/**
 * Queues the 24 h reminder for confirmed appointments starting within the next 24 hours
 * that have none yet. Idempotent by its deterministic event id and the unique index.
 */
export async function queueReminders(deps: JobDeps, opts: { windowMs?: number } = {}): Promise<number> {
  const { db, clock, config } = deps;
  const now = clock.now();
  const window = opts.windowMs ?? 24 * 3_600_000;
  const rows = await stmt<{ id: string; start_at: number }>(
    db,
    `SELECT a.id, a.start_at FROM appointments a
      WHERE a.status IN ('confirmed','rescheduled') AND a.start_at > ? AND a.start_at <= ?
        AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.appointment_id = a.id AND n.template = 'reminder'
                        AND n.event_id = 'reminder-' || a.id || '-' || a.start_at)`,
  ).all(now, now + window);
  let n = 0;
  for (const r of rows) {
    n += await db.transaction(async (tx) => {
      const a = await readAppointment(tx, r.id);
      if (!a || a.status === 'cancelled') return 0;
      const eventId = reminderEventId(r.id, r.start_at);
      return await queueNotifications(
        tx,
        now,
        eventId,
        'reminder',
        a,
        await recipientsFor(tx, config, a, 'reminder'),
        {
          topic: 'reminder',
          at: now,
        },
      );
    });
  }
  return n;
}

async function readAppointment(db: Db, id: string): Promise<Appointment | undefined> {
  const r = await getAppointmentRow(db, id);
  return r ? toAppointment(r) : undefined;
}
