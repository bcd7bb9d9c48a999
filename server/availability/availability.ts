import { AppError } from '../../shared/errors.js';
import type { Availability, Timeslot } from '../../shared/schemas.js';
import { DAY, dayOf, iso, parseDay } from '../../shared/time.js';
import {
  type ProviderRow,
  providerHours,
  requireProvider,
  requireService,
  type ServiceRow,
  serviceShape,
} from '../catalog/catalog.js';
import { type Db, stmt } from '../db/open.js';
import {
  type Blockers,
  type Candidate,
  candidateSlots,
  dayInHorizon,
  decodeTimeslotId,
  type Interval,
  isBookableTime,
  slotStatus,
} from './slots.js';

/** Longest block anything can have (service max 720 min + buffers); bounds the overlap scans. */
const MAX_BLOCK = DAY;

/**
 * Everything that blocks time for a provider within [from, to): active appointments,
 * holds that are active *and* unexpired at `now` (an expired hold stops blocking at its
 * expiry instant, swept or not), and busy blocks / time off.
 */
export async function blockersFor(
  db: Db,
  providerId: string,
  from: number,
  to: number,
  now: number,
  exclude: { appointmentId?: string; reservationToken?: string } = {},
): Promise<Blockers> {
  const booked = (
    await stmt<{ id: string; block_start: number; block_end: number }>(
      db,
      `SELECT id, block_start, block_end FROM appointments
     WHERE provider_id = ? AND block_start < ? AND block_start > ? AND block_end > ?
       AND status IN ('upcoming','confirmed','rescheduled')`,
    ).all(providerId, to, from - MAX_BLOCK, from)
  )
    .filter((r) => r.id !== exclude.appointmentId)
    .map((r) => ({ start: r.block_start, end: r.block_end }));
  const reserved = (
    await stmt<{ token: string; block_start: number; block_end: number }>(
      db,
      `SELECT token, block_start, block_end FROM reservations
     WHERE provider_id = ? AND block_start < ? AND block_start > ? AND block_end > ?
       AND status = 'active' AND expires_at > ?`,
    ).all(providerId, to, from - MAX_BLOCK, from, now)
  )
    .filter((r) => r.token !== exclude.reservationToken)
    .map((r) => ({ start: r.block_start, end: r.block_end }));
  const blocked = (
    await stmt<{ start_at: number; end_at: number }>(
      db,
      'SELECT start_at, end_at FROM busy_blocks WHERE provider_id = ? AND start_at < ? AND end_at > ?',
    ).all(providerId, to, from)
  ).map((r) => ({ start: r.start_at, end: r.end_at }));
  return { booked, reserved, blocked };
}

function daySpan(cands: Candidate[]): Interval | null {
  if (cands.length === 0) return null;
  return {
    start: Math.min(...cands.map((c) => c.blockStart)),
    end: Math.max(...cands.map((c) => c.blockEnd)),
  };
}

export interface DaySlots {
  provider: ProviderRow;
  service: ServiceRow;
  slots: (Candidate & { status: Timeslot['status'] })[];
}

/** The bookable slots of one local day with their status as of `now`. */
export async function computeDay(
  db: Db,
  provider: ProviderRow,
  service: ServiceRow,
  day: string,
  now: number,
  exclude: { appointmentId?: string; reservationToken?: string } = {},
): Promise<DaySlots> {
  const shape = serviceShape(service);
  if (!dayInHorizon(day, provider.timezone, shape, now)) return { provider, service, slots: [] };
  const cands = candidateSlots(day, provider.timezone, await providerHours(db, provider.id), shape).filter(
    (c) => isBookableTime(c.start, shape, now),
  );
  const span = daySpan(cands);
  if (!span) return { provider, service, slots: [] };
  const blockers = await blockersFor(db, provider.id, span.start, span.end, now, exclude);
  return { provider, service, slots: cands.map((c) => ({ ...c, status: slotStatus(c, blockers) })) };
}

export async function getAvailability(
  db: Db,
  providerId: string,
  serviceId: string,
  date: string,
  now: number,
): Promise<Availability> {
  if (!parseDay(date))
    throw new AppError('validation', `date must be a calendar day YYYY-MM-DD, got ${JSON.stringify(date)}`);
  const provider = await requireProvider(db, providerId);
  const service = await requireService(db, providerId, serviceId);
  const { slots } = await computeDay(db, provider, service, date, now);
  return {
    providerId,
    serviceId,
    date,
    timezone: provider.timezone,
    timeslots: slots.map((s) => ({ id: s.id, start: iso(s.start), end: iso(s.end), status: s.status })),
  };
}

/**
 * Re-derives a client's timeslot id: it must decode, belong to the service, and be one of
 * the slots the server would offer right now (hours, horizon, notice).
 */
export async function resolveTimeslot(
  db: Db,
  provider: ProviderRow,
  service: ServiceRow,
  timeslotId: string,
  now: number,
): Promise<Candidate> {
  const dec = decodeTimeslotId(timeslotId);
  if (!dec || dec.serviceId !== service.id)
    throw new AppError(
      'validation',
      `timeslotId ${JSON.stringify(timeslotId)} is not a slot of service ${service.id}`,
    );
  const shape = serviceShape(service);
  const day = dayOf(dec.start, provider.timezone);
  if (!isBookableTime(dec.start, shape, now))
    throw new AppError(
      'policy_violation',
      shape.minNoticeMinutes > 0
        ? `that slot starts within the minimum notice of ${shape.minNoticeMinutes} minutes (or is in the past)`
        : 'that slot is in the past',
    );
  if (!dayInHorizon(day, provider.timezone, shape, now))
    throw new AppError('policy_violation', `that slot is more than ${shape.maxAdvanceDays} days ahead`);
  const c = candidateSlots(day, provider.timezone, await providerHours(db, provider.id), shape).find(
    (x) => x.start === dec.start,
  );
  if (!c) throw new AppError('validation', 'that timeslot is not within the provider’s working hours');
  return c;
}

/** Finds the slot of a service that starts at an exact instant (for `--to <ISO time>`). */
export async function timeslotAt(
  db: Db,
  provider: ProviderRow,
  service: ServiceRow,
  start: number,
): Promise<Candidate | undefined> {
  const day = dayOf(start, provider.timezone);
  return candidateSlots(
    day,
    provider.timezone,
    await providerHours(db, provider.id),
    serviceShape(service),
  ).find((c) => c.start === start);
}
