import { AppError } from '../../shared/errors.js';
import type { Appointment, CancelResult } from '../../shared/schemas.js';
import { iso } from '../../shared/time.js';
import { type Actor, appendAudit } from '../audit/audit.js';
import { nearestAlternatives } from '../availability/alternatives.js';
import { blockersFor } from '../availability/availability.js';
import { overlaps } from '../availability/slots.js';
import { getProvider, getService, getUser } from '../catalog/catalog.js';
import { type Db, guarded, isConstraintError, stmt } from '../db/open.js';
import { newId } from '../ids.js';
import type { WriteScope } from '../outbox/write.js';
import { meetsMinNotice, quote } from '../policies/policies.js';
import {
  consumeReservation,
  emitSlotChange,
  type ReservationRow,
  usableReservation,
} from '../reservations/reservations.js';
import {
  type AppointmentRow,
  getAppointmentRow,
  isActive,
  policyInput,
  toAppointment,
  visibleAppointment,
} from './read.js';

export interface WriteMeta {
  idempotencyKey?: string | undefined;
  /** the version(s) the client accepts (If-Match; none of them current, or an empty list, is 412) */
  ifMatch?: number | number[] | undefined;
}

const mutating = (actor: Actor) => {
  if (actor.role === 'support') throw new AppError('forbidden', 'support tokens are read-only');
};
const staffOnly = (actor: Actor) => {
  if (actor.role !== 'staff' && actor.role !== 'admin' && actor.role !== 'system')
    throw new AppError('forbidden', 'only staff and admin may do this');
};

function checkVersion(a: AppointmentRow, m: WriteMeta): void {
  const accepted = m.ifMatch === undefined ? undefined : [m.ifMatch].flat();
  if (accepted !== undefined && !accepted.includes(a.version))
    throw new AppError(
      'version_mismatch',
      `appointment is at version ${a.version}, If-Match said ${accepted.length ? accepted.join(', ') : 'only weak tags (never match)'}`,
      {
        currentVersion: a.version,
      },
    );
}

function checkChangeable(a: AppointmentRow, now: number): void {
  if (!isActive(a.status)) throw new AppError('appointment_not_active', `appointment is ${a.status}`);
  if (a.start_at <= now)
    throw new AppError(
      'appointment_started',
      'the appointment has started; staff can mark it completed or no-show',
    );
}

async function conflictAlternatives(
  db: Db,
  r: ReservationRow,
  now: number,
  basePrice: number,
  appointmentId?: string,
) {
  const p = (await getProvider(db, r.provider_id))!;
  const s = (await getService(db, r.service_id))!;
  return await nearestAlternatives(
    db,
    p,
    s,
    r.start_at,
    now,
    basePrice,
    appointmentId ? { appointmentId } : {},
  );
}

async function reload(db: Db, id: string): Promise<Appointment> {
  return toAppointment((await getAppointmentRow(db, id))!);
}

/** Turns a hold into an appointment. Status: confirmed, or upcoming if the service needs approval. */
export async function book(
  db: Db,
  w: WriteScope,
  actor: Actor,
  b: { reservationToken: string; userId: string },
  m: WriteMeta,
): Promise<Appointment> {
  mutating(actor);
  if (actor.role === 'user' && b.userId !== actor.userId)
    throw new AppError('forbidden', 'a user may book only for themselves');
  const r = await usableReservation(db, actor, b.reservationToken, w.now);
  await db.lock(`provider:${r.provider_id}`);
  if (r.purpose !== 'book')
    throw new AppError('validation', 'that hold is for a reschedule; use POST /appointments/{id}/reschedule');
  if (r.user_id && r.user_id !== b.userId)
    throw new AppError('validation', 'the hold was made for another user');
  if (!(await getUser(db, b.userId))) throw new AppError('validation', `user ${b.userId} not found`);
  const service = (await getService(db, r.service_id))!;
  const provider = (await getProvider(db, r.provider_id))!;
  if (!meetsMinNotice(r.start_at, service.min_notice_minutes, w.now))
    throw new AppError('policy_violation', 'the slot is now inside the minimum notice');
  const blockers = await blockersFor(db, r.provider_id, r.block_start, r.block_end, w.now, {
    reservationToken: r.token,
  });
  const conflict = async () =>
    new AppError('slot_taken', 'that timeslot was taken', {
      alternatives: await conflictAlternatives(db, r, w.now, service.price_cents),
    });
  if (blockers.booked.some((i) => overlaps({ start: r.block_start, end: r.block_end }, i)))
    throw await conflict();
  const id = newId();
  const status = service.requires_approval ? 'upcoming' : 'confirmed';
  try {
    await guarded(db, (g) =>
      stmt(
        g,
        `INSERT INTO appointments (id, user_id, provider_id, service_id, start_at, end_at, block_start, block_end, status,
        price_cents, currency, version, reschedule_count, needs_attention, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, 0, ?, ?)`,
      ).run(
        id,
        b.userId,
        r.provider_id,
        r.service_id,
        r.start_at,
        r.end_at,
        r.block_start,
        r.block_end,
        status,
        service.price_cents,
        service.currency,
        w.now,
        w.now,
      ),
    );
  } catch (e) {
    if (isConstraintError(e)) throw await conflict();
    throw e;
  }
  await consumeReservation(db, r.token, w.now);
  await appendAudit(db, {
    appointmentId: id,
    action: 'created',
    outcome: 'applied',
    actor,
    idempotencyKey: m.idempotencyKey ?? null,
    newStart: r.start_at,
    newEnd: r.end_at,
    metadata: { status, reservationToken: r.token },
    timestamp: w.now,
  });
  const appt = await reload(db, id);
  if (status === 'confirmed') w.emit('booking.confirmed', { appointment: appt, version: appt.version });
  else
    w.emit('booking.updated', {
      appointmentId: id,
      userId: appt.userId,
      updates: { status },
      version: 1,
      appointment: appt,
    });
  emitSlotChange(w, provider.id, r.block_start, r.block_end, { reason: 'booked' });
  return appt;
}

export async function reschedule(
  db: Db,
  w: WriteScope,
  actor: Actor,
  id: string,
  b: { reservationToken: string; reason?: string | undefined; appointmentId?: string | undefined },
  m: WriteMeta,
): Promise<Appointment> {
  mutating(actor);
  if (b.appointmentId !== undefined && b.appointmentId !== id)
    throw new AppError('validation', 'appointmentId in the body does not match the path');
  const a = await visibleAppointment(db, actor, id);
  checkVersion(a, m);
  checkChangeable(a, w.now);
  const r = await usableReservation(db, actor, b.reservationToken, w.now);
  await db.lock(`provider:${r.provider_id}`);
  if (r.purpose !== 'reschedule' || r.appointment_id !== id)
    throw new AppError(
      'validation',
      'that hold was not made for this appointment (send appointmentId when holding)',
    );
  if (!meetsMinNotice(r.start_at, a.min_notice_minutes, w.now))
    throw new AppError(
      'policy_violation',
      `moves need ${a.min_notice_minutes} minutes' notice before the new time (${iso(r.start_at)})`,
    );
  const blockers = await blockersFor(db, a.provider_id, r.block_start, r.block_end, w.now, {
    appointmentId: id,
    reservationToken: r.token,
  });
  const conflict = async () =>
    new AppError('slot_taken', 'that timeslot was taken', {
      alternatives: await conflictAlternatives(db, r, w.now, a.price_cents, id),
    });
  if (blockers.booked.some((i) => overlaps({ start: r.block_start, end: r.block_end }, i)))
    throw await conflict();
  try {
    await guarded(db, (g) =>
      stmt(
        g,
        `UPDATE appointments SET previous_start = start_at, previous_end = end_at, start_at = ?, end_at = ?,
        block_start = ?, block_end = ?, status = 'rescheduled', version = version + 1,
        reschedule_count = reschedule_count + 1, updated_at = ? WHERE id = ?`,
      ).run(r.start_at, r.end_at, r.block_start, r.block_end, w.now, id),
    );
  } catch (e) {
    if (isConstraintError(e)) throw await conflict();
    throw e;
  }
  await consumeReservation(db, r.token, w.now);
  await appendAudit(db, {
    appointmentId: id,
    action: 'rescheduled',
    outcome: 'applied',
    actor,
    idempotencyKey: m.idempotencyKey ?? null,
    reason: b.reason ?? null,
    previousStart: a.start_at,
    previousEnd: a.end_at,
    newStart: r.start_at,
    newEnd: r.end_at,
    timestamp: w.now,
  });
  const appt = await reload(db, id);
  w.emit('booking.rescheduled', {
    appointment: appt,
    previous: { start: iso(a.start_at), end: iso(a.end_at) },
    next: { start: appt.start, end: appt.end },
    version: appt.version,
    reason: b.reason ?? null,
  });
  emitSlotChange(w, a.provider_id, a.block_start, a.block_end, { reason: 'moved-from' });
  emitSlotChange(w, a.provider_id, r.block_start, r.block_end, { reason: 'moved-to' });
  return appt;
}

export async function cancel(
  db: Db,
  w: WriteScope,
  actor: Actor,
  id: string,
  b: { reason?: string | undefined; waiveFee?: boolean | undefined },
  m: WriteMeta,
): Promise<CancelResult> {
  mutating(actor);
  const a = await visibleAppointment(db, actor, id);
  if (b.waiveFee) {
    staffOnly(actor);
    if (!b.reason?.trim()) throw new AppError('validation', 'waiving the fee needs a reason');
  }
  checkVersion(a, m);
  checkChangeable(a, w.now);
  const q = b.waiveFee ? { feeCents: 0, refundCents: a.price_cents } : quote(policyInput(a), w.now);
  await stmt(
    db,
    `UPDATE appointments SET status = 'cancelled', cancelled_at = ?, cancel_reason = ?, fee_cents = ?, refund_cents = ?,
      version = version + 1, updated_at = ? WHERE id = ?`,
  ).run(w.now, b.reason ?? null, q.feeCents, q.refundCents, w.now, id);
  await appendAudit(db, {
    appointmentId: id,
    action: 'cancelled',
    outcome: 'applied',
    actor,
    idempotencyKey: m.idempotencyKey ?? null,
    reason: b.reason ?? null,
    previousStart: a.start_at,
    previousEnd: a.end_at,
    feeCents: q.feeCents,
    metadata: { refundCents: q.refundCents, waived: Boolean(b.waiveFee) },
    timestamp: w.now,
  });
  const appt = await reload(db, id);
  w.emit('booking.cancelled', {
    appointment: appt,
    feeCents: q.feeCents,
    refundCents: q.refundCents,
    version: appt.version,
  });
  emitSlotChange(w, a.provider_id, a.block_start, a.block_end, { reason: 'cancelled' });
  // a reschedule hold for a cancelled appointment can never be used: free its slot now
  const pending = await stmt<{ token: string; block_start: number; block_end: number }>(
    db,
    "SELECT token, block_start, block_end FROM reservations WHERE appointment_id = ? AND status = 'active'",
  ).all(id);
  for (const r of pending) {
    await stmt(db, "UPDATE reservations SET status = 'released', ended_at = ? WHERE token = ?").run(
      w.now,
      r.token,
    );
    emitSlotChange(w, a.provider_id, r.block_start, r.block_end, { reason: 'released' });
  }
  return { appointment: appt, feeCents: q.feeCents, refundCents: q.refundCents };
}

/** Staff actions: confirm (approve), complete, no-show. */
export async function setStatus(
  db: Db,
  w: WriteScope,
  actor: Actor,
  id: string,
  action: 'confirm' | 'complete' | 'no_show',
  b: { reason?: string | undefined },
  m: WriteMeta,
): Promise<Appointment> {
  staffOnly(actor);
  const a = await visibleAppointment(db, actor, id);
  checkVersion(a, m);
  if (!isActive(a.status)) throw new AppError('appointment_not_active', `appointment is ${a.status}`);
  let next: Appointment['status'];
  if (action === 'confirm') {
    if (a.status !== 'upcoming') return toAppointment(a); // already confirmed: nothing to do
    if (a.start_at <= w.now) throw new AppError('appointment_started', 'the appointment has already started');
    next = 'confirmed';
  } else {
    if (a.start_at > w.now)
      throw new AppError(
        'policy_violation',
        `an appointment can be marked ${action === 'complete' ? 'completed' : 'no-show'} only once it has started`,
      );
    next = action === 'complete' ? 'completed' : 'no_show';
  }
  await stmt(
    db,
    'UPDATE appointments SET status = ?, version = version + 1, updated_at = ? WHERE id = ?',
  ).run(next, w.now, id);
  await appendAudit(db, {
    appointmentId: id,
    action: next === 'confirmed' ? 'confirmed' : next,
    outcome: 'applied',
    actor,
    idempotencyKey: m.idempotencyKey ?? null,
    reason: b.reason ?? null,
    timestamp: w.now,
  });
  const appt = await reload(db, id);
  if (next === 'confirmed') w.emit('booking.confirmed', { appointment: appt, version: appt.version });
  else
    w.emit('booking.updated', {
      appointmentId: id,
      userId: a.user_id,
      updates: { status: next },
      version: appt.version,
      appointment: appt,
    });
  if (next !== 'confirmed') emitSlotChange(w, a.provider_id, a.block_start, a.block_end, { reason: next });
  return appt;
}

/** Sets or clears the "needs attention" flag (external busy block collisions). */
export async function setAttention(
  db: Db,
  w: WriteScope,
  actor: Actor,
  id: string,
  reason: string | null,
): Promise<Appointment> {
  const a = await getAppointmentRow(db, id);
  if (!a) throw new AppError('not_found', `appointment ${id} not found`);
  if ((a.needs_attention === 1) === (reason !== null) && a.attention_reason === reason)
    return toAppointment(a);
  await stmt(
    db,
    'UPDATE appointments SET needs_attention = ?, attention_reason = ?, version = version + 1, updated_at = ? WHERE id = ?',
  ).run(reason === null ? 0 : 1, reason, w.now, id);
  await appendAudit(db, {
    appointmentId: id,
    action: reason === null ? 'attention_cleared' : 'attention_flagged',
    outcome: 'applied',
    actor,
    reason,
    timestamp: w.now,
  });
  const appt = await reload(db, id);
  w.emit('booking.updated', {
    appointmentId: id,
    userId: a.user_id,
    updates: { needsAttention: reason !== null, attentionReason: reason },
    version: appt.version,
    appointment: appt,
  });
  return appt;
}
