import type { Static } from '@sinclair/typebox';
import { AppError } from '../../shared/errors.js';
import type { CreateReservation, Reservation } from '../../shared/schemas.js';
import { dayOf, iso } from '../../shared/time.js';
import { visibleAppointment, isActive } from '../appointments/read.js';
import type { Actor } from '../audit/audit.js';
import { nearestAlternatives } from '../availability/alternatives.js';
import { blockersFor, resolveTimeslot } from '../availability/availability.js';
import { overlaps } from '../availability/slots.js';
import { requireProvider, requireService } from '../catalog/catalog.js';
import { type Db, guarded, isConstraintError, stmt } from '../db/open.js';
import { randomToken } from '../ids.js';
import type { WriteScope } from '../outbox/write.js';

export interface ReservationRow {
  token: string;
  timeslot_id: string;
  provider_id: string;
  service_id: string;
  user_id: string | null;
  appointment_id: string | null;
  actor_id: string;
  purpose: 'book' | 'reschedule';
  start_at: number;
  end_at: number;
  block_start: number;
  block_end: number;
  status: 'active' | 'consumed' | 'released' | 'expired';
  expires_at: number;
  created_at: number;
  ended_at: number | null;
}

export async function getReservation(db: Db, token: string): Promise<ReservationRow | undefined> {
  return await stmt<ReservationRow>(db, 'SELECT * FROM reservations WHERE token = ?').get(token);
}

/** The realtime-only event that tells subscribers a provider's time changed. */
export function emitSlotChange(
  w: WriteScope,
  providerId: string,
  startAt: number,
  endAt: number,
  extra: Record<string, unknown> = {},
): void {
  w.emit('availability.changed', { providerId, startAt, endAt, ...extra }, { realtimeOnly: true });
}

/** Ends a lapsed hold and announces the freed time (realtime) and the expiry (metrics). */
async function markExpired(db: Db, w: WriteScope, r: ReservationRow): Promise<void> {
  // conditional: sweepers in several processes (or a booking consuming it) may get there first
  const { changes } = await stmt(
    db,
    "UPDATE reservations SET status = 'expired', ended_at = ? WHERE token = ? AND status = 'active'",
  ).run(r.expires_at, r.token);
  if (changes === 0) return;
  emitSlotChange(w, r.provider_id, r.block_start, r.block_end, { reason: 'expired' });
  w.emit(
    'reservation.expired',
    { token: r.token, providerId: r.provider_id, timeslotId: r.timeslot_id },
    { realtimeOnly: true },
  );
}

/**
 * Marks this provider's lapsed holds expired. Blocking is decided by time anyway; this keeps
 * the partial unique index (one active hold per slot) from tripping over a dead hold.
 */
async function expireLapsed(db: Db, w: WriteScope, providerId: string): Promise<void> {
  const lapsed = await stmt<ReservationRow>(
    db,
    "SELECT * FROM reservations WHERE provider_id = ? AND status = 'active' AND expires_at <= ?",
  ).all(providerId, w.now);
  for (const r of lapsed) {
    await markExpired(db, w, r);
  }
}

export const toReservation = (r: ReservationRow): Reservation => ({
  reservationToken: r.token,
  expiresAt: iso(r.expires_at),
  timeslotId: r.timeslot_id,
  start: iso(r.start_at),
  end: iso(r.end_at),
});

/**
 * A customer may hold a few slots at once (comparing options), not a provider's whole week:
 * past `max` live holds the next is refused with 409 `too_many_holds`, naming the holds to
 * release. Staff and admin are unbounded (bulk work). Counted per user, across tokens.
 */
async function checkHoldBudget(db: Db, actor: Actor, now: number, max: number): Promise<void> {
  if (actor.role !== 'user' || max <= 0) return;
  const live = await stmt<ReservationRow>(
    db,
    "SELECT * FROM reservations WHERE actor_id = ? AND status = 'active' AND expires_at > ? ORDER BY created_at",
  ).all(actor.id, now);
  if (live.length < max) return;
  throw new AppError(
    'too_many_holds',
    `a customer may hold at most ${max} slots at once; release one (DELETE /reservations/{token}) or let it expire`,
    {
      max,
      holds: live.map((r) => ({
        reservationToken: r.token,
        timeslotId: r.timeslot_id,
        start: iso(r.start_at),
        expiresAt: iso(r.expires_at),
      })),
    },
  );
}

export async function createReservation(
  db: Db,
  w: WriteScope,
  actor: Actor,
  b: Static<typeof CreateReservation>,
  ttlSeconds: number,
  maxHoldsPerUser = 0,
): Promise<Reservation> {
  if (actor.role === 'support') throw new AppError('forbidden', 'support tokens are read-only');
  const provider = await requireProvider(db, b.providerId);
  // every slot-changing transaction takes its provider's lock first (PostgreSQL: no
  // deadlock between racers, one winner; SQLite holds the write lock already)
  await db.lock(`provider:${provider.id}`);
  const service = await requireService(db, b.providerId, b.serviceId);
  let userId = b.userId ?? null;
  let purpose: 'book' | 'reschedule' = 'book';
  let appointmentId: string | null = null;
  let basePrice = service.price_cents;
  if (b.appointmentId) {
    const a = await visibleAppointment(db, actor, b.appointmentId);
    if (!isActive(a.status)) throw new AppError('appointment_not_active', `appointment is ${a.status}`);
    if (a.start_at <= w.now) throw new AppError('appointment_started', 'the appointment has already started');
    if (a.provider_id !== b.providerId || a.service_id !== b.serviceId)
      throw new AppError(
        'validation',
        'a reschedule hold must be for the appointment’s own provider and service',
      );
    purpose = 'reschedule';
    appointmentId = a.id;
    userId = a.user_id;
    basePrice = a.price_cents;
  }
  if (actor.role === 'user') {
    if (userId && userId !== actor.userId)
      throw new AppError('forbidden', 'a user may hold slots only for themselves');
    userId = actor.userId ?? null;
  }
  const slot = await resolveTimeslot(db, provider, service, b.timeslotId, w.now);
  await expireLapsed(db, w, provider.id);

  // A new hold by the same actor for the same appointment releases the previous one.
  if (appointmentId) {
    const prev = await stmt<ReservationRow>(
      db,
      "SELECT * FROM reservations WHERE appointment_id = ? AND actor_id = ? AND status = 'active'",
    ).all(appointmentId, actor.id);
    for (const r of prev) {
      if (r.start_at === slot.start) continue; // the same slot again: refused below as taken
      await stmt(db, "UPDATE reservations SET status = 'released', ended_at = ? WHERE token = ?").run(
        w.now,
        r.token,
      );
      emitSlotChange(w, r.provider_id, r.block_start, r.block_end, { reason: 'released' });
    }
  }

  await checkHoldBudget(db, actor, w.now, maxHoldsPerUser);

  const blockers = await blockersFor(db, provider.id, slot.blockStart, slot.blockEnd, w.now, {
    ...(appointmentId ? { appointmentId } : {}),
  });
  const blockInterval = { start: slot.blockStart, end: slot.blockEnd };
  const taken =
    blockers.booked.some((i) => overlaps(blockInterval, i)) ||
    blockers.reserved.some((i) => overlaps(blockInterval, i)) ||
    blockers.blocked.some((i) => overlaps({ start: slot.start, end: slot.end }, i));
  const conflict = async () =>
    new AppError('slot_taken', 'that timeslot is no longer available', {
      timeslotId: b.timeslotId,
      alternatives: await nearestAlternatives(db, provider, service, slot.start, w.now, basePrice, {
        ...(appointmentId ? { appointmentId } : {}),
      }),
    });
  if (taken) throw await conflict();

  const row: ReservationRow = {
    token: randomToken('rsv_'),
    timeslot_id: slot.id,
    provider_id: provider.id,
    service_id: service.id,
    user_id: userId,
    appointment_id: appointmentId,
    actor_id: actor.id,
    purpose,
    start_at: slot.start,
    end_at: slot.end,
    block_start: slot.blockStart,
    block_end: slot.blockEnd,
    status: 'active',
    expires_at: w.now + ttlSeconds * 1000,
    created_at: w.now,
    ended_at: null,
  };
  try {
    await guarded(db, (g) =>
      stmt(
        g,
        `INSERT INTO reservations (token, timeslot_id, provider_id, service_id, user_id, appointment_id, actor_id, purpose,
        start_at, end_at, block_start, block_end, status, expires_at, created_at)
       VALUES (@token, @timeslot_id, @provider_id, @service_id, @user_id, @appointment_id, @actor_id, @purpose,
        @start_at, @end_at, @block_start, @block_end, @status, @expires_at, @created_at)`,
      ).run(row),
    );
  } catch (e) {
    if (isConstraintError(e)) throw await conflict();
    throw e;
  }
  emitSlotChange(w, provider.id, slot.blockStart, slot.blockEnd, {
    serviceId: service.id,
    timeslotId: slot.id,
    date: dayOf(slot.start, provider.timezone),
    status: 'reserved',
    reason: 'held',
  });
  return toReservation(row);
}

/** Release: the holder, staff or admin. Releasing an ended hold is a no-op (DELETE is idempotent). */
export async function releaseReservation(db: Db, w: WriteScope, actor: Actor, token: string): Promise<void> {
  const r = await getReservation(db, token);
  const mayRelease = r && (r.actor_id === actor.id || actor.role === 'staff' || actor.role === 'admin');
  if (!r || !mayRelease) throw new AppError('reservation_not_found', 'reservation not found');
  if (r.status !== 'active') return;
  await stmt(db, "UPDATE reservations SET status = 'released', ended_at = ? WHERE token = ?").run(
    w.now,
    token,
  );
  if (r.expires_at > w.now)
    emitSlotChange(w, r.provider_id, r.block_start, r.block_end, { reason: 'released' });
}

/**
 * Loads a hold for use by a booking or reschedule, enforcing who may use it and that it
 * is still alive at `now`.
 */
export async function usableReservation(
  db: Db,
  actor: Actor,
  token: string,
  now: number,
): Promise<ReservationRow> {
  const r = await getReservation(db, token);
  const mayUse = r && (r.actor_id === actor.id || actor.role === 'staff' || actor.role === 'admin');
  if (!r || !mayUse) throw new AppError('reservation_not_found', 'reservation not found');
  if (r.status === 'consumed' || r.status === 'released')
    throw new AppError('reservation_not_found', `reservation was already ${r.status}`);
  if (r.status === 'expired' || r.expires_at <= now)
    throw new AppError('reservation_expired', `the hold expired at ${iso(r.expires_at)}`);
  return r;
}

export async function consumeReservation(db: Db, token: string, now: number): Promise<void> {
  await stmt(db, "UPDATE reservations SET status = 'consumed', ended_at = ? WHERE token = ?").run(now, token);
}

/** Sweeper: marks lapsed holds expired and announces the freed time. Returns how many. */
export async function sweepExpired(db: Db, w: WriteScope, limit = 1000): Promise<number> {
  const rows = await stmt<ReservationRow>(
    db,
    "SELECT * FROM reservations WHERE status = 'active' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
  ).all(w.now, limit);
  for (const r of rows) {
    await markExpired(db, w, r);
  }
  return rows.length;
}
