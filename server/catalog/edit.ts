import type { Static } from '@sinclair/typebox';
import type { UpdateService } from '../../shared/catalog-schemas.js';
import { AppError } from '../../shared/errors.js';
import type { Service } from '../../shared/schemas.js';
import { iso } from '../../shared/time.js';
import type { Actor } from '../audit/audit.js';
import { type Db, stmt } from '../db/open.js';
import type { WriteScope } from '../outbox/write.js';
import { audit, requireProvider, type ServiceRow, toService } from './catalog.js';

/**
 * Editing and removing catalog entries. What a scheduling product owes the customers who
 * already booked:
 * - a removal is soft (`retired_at`): the provider or service stays for the appointments and
 *   audit entries that name it, and leaves every list and every new hold;
 * - a removal, and a change of the cancellation terms, are refused with 409
 *   `has_active_appointments` while active appointments (or live holds) depend on them:
 *   move or cancel those first (`appt bulk`), or create a new service for new terms;
 * - price, duration and buffers apply to new bookings only (appointments carry their own
 *   times and price).
 */

const ACTIVE = "status IN ('upcoming','confirmed','rescheduled')";

async function inUse(db: Db, column: 'service_id' | 'provider_id', id: string, now: number) {
  const a = (await stmt<{ n: number }>(
    db,
    `SELECT COUNT(*) AS n FROM appointments WHERE ${column} = ? AND ${ACTIVE}`,
  ).get(id))!;
  const h = (await stmt<{ n: number }>(
    db,
    `SELECT COUNT(*) AS n FROM reservations WHERE ${column} = ? AND status = 'active' AND expires_at > ?`,
  ).get(id, now))!;
  return { appointments: Number(a.n), holds: Number(h.n) };
}

function refuseInUse(what: string, use: { appointments: number; holds: number }, doing: string) {
  if (use.appointments === 0 && use.holds === 0) return;
  const parts = [
    use.appointments ? `${use.appointments} active appointment(s)` : '',
    use.holds ? `${use.holds} live hold(s)` : '',
  ].filter(Boolean);
  throw new AppError(
    'has_active_appointments',
    `${what} has ${parts.join(' and ')}: cannot ${doing} (move or cancel them first)`,
    { activeAppointments: use.appointments, liveHolds: use.holds },
  );
}

export async function requireLiveService(db: Db, id: string): Promise<ServiceRow> {
  const s = await stmt<ServiceRow>(db, 'SELECT * FROM services WHERE id = ? AND retired_at IS NULL').get(id);
  if (!s) throw new AppError('not_found', `service ${id} not found`);
  return s;
}

export async function updateService(
  db: Db,
  w: WriteScope,
  actor: Actor,
  id: string,
  b: Static<typeof UpdateService>,
): Promise<Service> {
  const s = await requireLiveService(db, id);
  await db.lock(`provider:${s.provider_id}`);
  if (b.cancellation !== undefined)
    refuseInUse(`service ${id}`, await inUse(db, 'service_id', id, w.now), 'change its cancellation terms');
  const next: ServiceRow = {
    ...s,
    title: b.title ?? s.title,
    duration_minutes: b.durationMinutes ?? s.duration_minutes,
    price_cents: b.priceCents ?? s.price_cents,
    currency: b.currency ?? s.currency,
    buffer_before_minutes: b.bufferBeforeMinutes ?? s.buffer_before_minutes,
    buffer_after_minutes: b.bufferAfterMinutes ?? s.buffer_after_minutes,
    slot_step_minutes: b.slotStepMinutes ?? s.slot_step_minutes,
    min_notice_minutes: b.minNoticeMinutes ?? s.min_notice_minutes,
    max_advance_days: b.maxAdvanceDays ?? s.max_advance_days,
    requires_approval: b.requiresApproval === undefined ? s.requires_approval : b.requiresApproval ? 1 : 0,
    cancel_free_until_hours_before:
      b.cancellation === undefined
        ? s.cancel_free_until_hours_before
        : (b.cancellation?.freeUntilHoursBefore ?? null),
    cancel_fee_cents: b.cancellation === undefined ? s.cancel_fee_cents : (b.cancellation?.feeCents ?? null),
  };
  await stmt(
    db,
    `UPDATE services SET title = @title, duration_minutes = @duration_minutes, price_cents = @price_cents,
       currency = @currency, buffer_before_minutes = @buffer_before_minutes, buffer_after_minutes = @buffer_after_minutes,
       slot_step_minutes = @slot_step_minutes, min_notice_minutes = @min_notice_minutes,
       max_advance_days = @max_advance_days, requires_approval = @requires_approval,
       cancel_free_until_hours_before = @cancel_free_until_hours_before, cancel_fee_cents = @cancel_fee_cents
     WHERE id = @id`,
  ).run(next);
  await audit(db, w, actor, 'service.updated', {
    serviceId: id,
    providerId: s.provider_id,
    changed: Object.keys(b),
  });
  w.emit(
    'availability.changed',
    { providerId: s.provider_id, startAt: w.now, endAt: w.now + 400 * 86_400_000 },
    { realtimeOnly: true },
  );
  return toService(next);
}

export async function removeService(db: Db, w: WriteScope, actor: Actor, id: string) {
  const s = await requireLiveService(db, id);
  await db.lock(`provider:${s.provider_id}`);
  refuseInUse(`service ${id} (${s.title})`, await inUse(db, 'service_id', id, w.now), 'remove it');
  await stmt(db, 'UPDATE services SET retired_at = ? WHERE id = ?').run(w.now, id);
  await audit(db, w, actor, 'service.removed', { serviceId: id, providerId: s.provider_id, title: s.title });
  w.emit(
    'availability.changed',
    { providerId: s.provider_id, startAt: w.now, endAt: w.now + 400 * 86_400_000 },
    { realtimeOnly: true },
  );
  return { id, removed: true as const, removedAt: iso(w.now) };
}

export async function removeProvider(db: Db, w: WriteScope, actor: Actor, id: string) {
  const p = await requireProvider(db, id);
  await db.lock(`provider:${id}`);
  refuseInUse(`provider ${id} (${p.name})`, await inUse(db, 'provider_id', id, w.now), 'remove it');
  await stmt(db, 'UPDATE services SET retired_at = ? WHERE provider_id = ? AND retired_at IS NULL').run(
    w.now,
    id,
  );
  await stmt(db, 'UPDATE providers SET retired_at = ? WHERE id = ?').run(w.now, id);
  await audit(db, w, actor, 'provider.removed', { providerId: id, name: p.name });
  return { id, removed: true as const, removedAt: iso(w.now) };
}

/** Time off an admin added; blocks synced from the provider's calendar change there. */
export async function removeTimeOff(db: Db, w: WriteScope, actor: Actor, providerId: string, id: string) {
  await requireProvider(db, providerId);
  const row = await stmt<{ start_at: number; end_at: number; source: string }>(
    db,
    'SELECT start_at, end_at, source FROM busy_blocks WHERE id = ? AND provider_id = ?',
  ).get(id, providerId);
  if (!row) throw new AppError('not_found', `time off ${id} not found for provider ${providerId}`);
  if (row.source !== 'manual')
    throw new AppError(
      'validation',
      `time off ${id} comes from the provider's calendar (${row.source}): remove it there`,
    );
  await stmt(db, 'DELETE FROM busy_blocks WHERE id = ?').run(id);
  await audit(db, w, actor, 'time_off.removed', {
    providerId,
    timeOffId: id,
    start: iso(row.start_at),
    end: iso(row.end_at),
  });
  w.emit(
    'availability.changed',
    { providerId, startAt: row.start_at, endAt: row.end_at },
    { realtimeOnly: true },
  );
  return { id, removed: true as const, removedAt: iso(w.now) };
}
