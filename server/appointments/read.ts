import { createHash } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import type { Appointment, AppointmentPage } from '../../shared/schemas.js';
import { iso, isoOrNull } from '../../shared/time.js';
import type { Actor } from '../audit/audit.js';
import { type Db, stmt } from '../db/open.js';
import { cancellationPolicyText, type PolicyInput, refundableUntil } from '../policies/policies.js';

export interface AppointmentRow {
  id: string;
  user_id: string;
  provider_id: string;
  service_id: string;
  start_at: number;
  end_at: number;
  block_start: number;
  block_end: number;
  status: Appointment['status'];
  price_cents: number;
  currency: string;
  version: number;
  reschedule_count: number;
  previous_start: number | null;
  previous_end: number | null;
  cancelled_at: number | null;
  cancel_reason: string | null;
  fee_cents: number | null;
  refund_cents: number | null;
  needs_attention: number;
  attention_reason: string | null;
  created_at: number;
  updated_at: number;
  // joined
  provider_name: string;
  timezone: string;
  service_title: string;
  user_name: string;
  cancel_free_until_hours_before: number | null;
  cancel_fee_cents: number | null;
  min_notice_minutes: number;
}

export const SELECT_APPT = `SELECT a.*, p.name AS provider_name, p.timezone AS timezone, s.title AS service_title,
  s.cancel_free_until_hours_before, s.cancel_fee_cents, s.min_notice_minutes, u.name AS user_name
  FROM appointments a JOIN providers p ON p.id = a.provider_id JOIN services s ON s.id = a.service_id
  JOIN users u ON u.id = a.user_id`;

export const isActive = (s: string) => s === 'upcoming' || s === 'confirmed' || s === 'rescheduled';

export function policyInput(r: AppointmentRow): PolicyInput {
  return {
    start: r.start_at,
    priceCents: r.price_cents,
    currency: r.currency,
    freeUntilHoursBefore: r.cancel_free_until_hours_before,
    feeCents: r.cancel_fee_cents,
    minNoticeMinutes: r.min_notice_minutes,
  };
}

export function toAppointment(r: AppointmentRow): Appointment {
  const p = policyInput(r);
  return {
    id: r.id,
    userId: r.user_id,
    userName: r.user_name,
    providerId: r.provider_id,
    providerName: r.provider_name,
    serviceId: r.service_id,
    serviceTitle: r.service_title,
    start: iso(r.start_at),
    end: iso(r.end_at),
    timezone: r.timezone,
    status: r.status,
    priceCents: r.price_cents,
    currency: r.currency,
    version: r.version,
    rescheduleCount: r.reschedule_count,
    previousStart: isoOrNull(r.previous_start),
    previousEnd: isoOrNull(r.previous_end),
    cancelledAt: isoOrNull(r.cancelled_at),
    cancelReason: r.cancel_reason,
    feeCents: r.fee_cents,
    refundCents: r.refund_cents,
    needsAttention: r.needs_attention === 1,
    attentionReason: r.attention_reason,
    cancellationPolicy: {
      refundableUntil: iso(refundableUntil(p)),
      feeCents: r.cancel_free_until_hours_before === null ? 0 : (r.cancel_fee_cents ?? 0),
      freeUntilHoursBefore: r.cancel_free_until_hours_before ?? 0,
      text: cancellationPolicyText(p),
    },
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export async function getAppointmentRow(db: Db, id: string): Promise<AppointmentRow | undefined> {
  return await stmt<AppointmentRow>(db, `${SELECT_APPT} WHERE a.id = ?`).get(id);
}

/** Another user's appointment is a 404, never a 403: its existence is not disclosed. */
export async function visibleAppointment(db: Db, actor: Actor, id: string): Promise<AppointmentRow> {
  const r = await getAppointmentRow(db, id);
  if (!r || (actor.role === 'user' && r.user_id !== actor.userId))
    throw new AppError('not_found', `appointment ${id} not found`);
  return r;
}

export function encodeCursor(start: number, id: string): string {
  return Buffer.from(`${start}|${id}`).toString('base64url');
}
export function decodeCursor(c: string): { start: number; id: string } {
  const raw = Buffer.from(c, 'base64url').toString('utf8');
  const [s, id] = raw.split('|');
  const start = Number(s);
  if (!id || !Number.isSafeInteger(start)) throw new AppError('validation', 'cursor is not valid');
  return { start, id };
}

function page(rows: AppointmentRow[], limit: number): AppointmentPage {
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(toAppointment),
    nextCursor: more && last ? encodeCursor(last.start_at, last.id) : null,
  };
}

/**
 * The seed's lists. upcoming = active and not started, soonest first; history = everything
 * else (past, cancelled even if ahead, completed, no-show), newest first. Cursor = the last
 * row's (start, id), so pages stay stable while rows are added.
 */
export interface UserListQuery {
  userId: string;
  filter: 'upcoming' | 'history';
  limit: number;
  cursor: string | undefined;
  now: number;
}

export async function listUserAppointments(db: Db, q: UserListQuery): Promise<AppointmentPage> {
  const { userId, filter, limit, cursor, now } = q;
  const c = cursor ? decodeCursor(cursor) : undefined;
  if (filter === 'upcoming') {
    // SQLite: `+a.status` keeps the planner on (user_id, start_at): with ANALYZE statistics it
    // would otherwise pick the partial active-slot index and scan every provider's upcoming
    // rows. PostgreSQL has no such hint (and no unary + on text); its planner needs none.
    const status = db.dialect === 'sqlite' ? '+a.status' : 'a.status';
    const sql = `${SELECT_APPT} WHERE a.user_id = ? AND ${status} IN ('upcoming','confirmed','rescheduled') AND a.start_at > ?
      ${c ? 'AND (a.start_at > ? OR (a.start_at = ? AND a.id > ?))' : ''} ORDER BY a.start_at, a.id LIMIT ?`;
    const args = c ? [userId, now, c.start, c.start, c.id, limit + 1] : [userId, now, limit + 1];
    return page(await stmt<AppointmentRow>(db, sql).all(...args), limit);
  }
  const sql = `${SELECT_APPT} WHERE a.user_id = ? AND NOT (a.status IN ('upcoming','confirmed','rescheduled') AND a.start_at > ?)
    ${c ? 'AND (a.start_at < ? OR (a.start_at = ? AND a.id < ?))' : ''} ORDER BY a.start_at DESC, a.id DESC LIMIT ?`;
  const args = c ? [userId, now, c.start, c.start, c.id, limit + 1] : [userId, now, limit + 1];
  return page(await stmt<AppointmentRow>(db, sql).all(...args), limit);
}

/** Bump when the list's body changes shape: a tag from before a deploy must not match after it. */
const LIST_SHAPE = 'list-1';

/**
 * The user list's validator, known before the list is read, so a revalidation that ends in
 * 304 costs one indexed statement instead of the page's query, mapping and serialisation.
 * It covers everything the page is made of: the customer's change mark (any write to one of
 * their appointments, set by triggers), the catalog's (provider and service names, zones,
 * policies), the customer's name, the first start after `now` (an appointment that starts
 * moves from upcoming to history) and the request's own user, filter, limit and cursor
 * (the user's id too: a mark is null until the first write after migration). Read it
 * before the page: a write that commits between the two reads leaves an older tag on a newer
 * body, which only costs the next request a 200, never a wrong 304. undefined when the user
 * does not exist.
 */
export async function userListTag(db: Db, q: UserListQuery): Promise<string | undefined> {
  const { userId, filter, limit, cursor, now } = q;
  const r = await stmt<{ name: string; mark: unknown; cat: unknown; next: unknown }>(
    db,
    `SELECT u.name AS name,
       (SELECT mark FROM change_marks WHERE key = ?) AS mark,
       (SELECT mark FROM change_marks WHERE key = 'catalog') AS cat,
       (SELECT min(start_at) FROM appointments WHERE user_id = ? AND start_at > ?) AS next
     FROM users u WHERE u.id = ?`,
  ).get(`user:${userId}`, userId, now, userId);
  if (!r) return undefined;
  const parts = [LIST_SHAPE, userId, r.name, r.mark, r.cat, r.next, filter, limit, cursor ?? ''];
  return createHash('sha256')
    .update(JSON.stringify(parts.map(String)))
    .digest('base64url')
    .slice(0, 27);
}

export interface DayViewQuery {
  providerId?: string;
  from?: number;
  to?: number;
  status?: string;
  q?: string;
  userId?: string;
  limit: number;
  cursor?: string;
}

/** Front-desk view and search, soonest first. */
export async function searchAppointments(db: Db, q: DayViewQuery): Promise<AppointmentPage> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.providerId) where.push('a.provider_id = ?') && args.push(q.providerId);
  if (q.userId) where.push('a.user_id = ?') && args.push(q.userId);
  if (q.from !== undefined) where.push('a.start_at >= ?') && args.push(q.from);
  if (q.to !== undefined) where.push('a.start_at < ?') && args.push(q.to);
  if (q.status === 'active') where.push(`a.status IN ('upcoming','confirmed','rescheduled')`);
  else if (q.status) where.push('a.status = ?') && args.push(q.status);
  if (q.q) {
    const like = `%${q.q.replace(/[%_\\]/g, (m) => `\\${m}`)}%`;
    where.push(
      `(u.name LIKE ? ESCAPE '\\' OR u.email LIKE ? ESCAPE '\\' OR p.name LIKE ? ESCAPE '\\' OR s.title LIKE ? ESCAPE '\\' OR a.id LIKE ?)`,
    );
    args.push(like, like, like, like, `${q.q}%`);
  }
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    where.push('(a.start_at > ? OR (a.start_at = ? AND a.id > ?))');
    args.push(c.start, c.start, c.id);
  }
  const sql = `${SELECT_APPT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.start_at, a.id LIMIT ?`;
  return page(await stmt<AppointmentRow>(db, sql).all(...args, q.limit + 1), q.limit);
}

export async function notificationsFor(db: Db, appointmentId: string) {
  return (
    await stmt<{
      id: string;
      channel: string;
      recipient: string;
      template: string;
      status: string;
      attempts: number;
      last_error: string | null;
      message_id: string;
      updated_at: number;
    }>(
      db,
      'SELECT id, channel, recipient, template, status, attempts, last_error, message_id, updated_at FROM notifications WHERE appointment_id = ? ORDER BY created_at, id',
    ).all(appointmentId)
  ).map((n) => ({
    id: n.id,
    channel: n.channel,
    recipient: n.recipient,
    template: n.template,
    status: n.status,
    attempts: n.attempts,
    lastError: n.last_error,
    messageId: n.message_id,
    updatedAt: iso(n.updated_at),
  }));
}
