import { DateTime } from 'luxon';
import type { Alternative } from '../../shared/schemas.js';
import { addDays, dayOf, iso, MINUTE } from '../../shared/time.js';
import type { ProviderRow, ServiceRow } from '../catalog/catalog.js';
import type { Db } from '../db/open.js';
import { computeDay } from './availability.js';

type Exclude = { appointmentId?: string; reservationToken?: string };

function toAlt(
  s: { id: string; start: number; end: number },
  ref: number,
  service: ServiceRow,
  basePrice: number,
): Alternative {
  return {
    timeslotId: s.id,
    start: iso(s.start),
    end: iso(s.end),
    deltaMinutes: Math.round((s.start - ref) / MINUTE),
    priceDeltaCents: service.price_cents - basePrice,
  };
}

async function available(db: Db, p: ProviderRow, s: ServiceRow, day: string, now: number, ex: Exclude) {
  return (await computeDay(db, p, s, day, now, ex)).slots.filter((x) => x.status === 'available');
}

/**
 * The seed's conflict alternatives: free slots within ±60 minutes of the wanted start
 * (nearest first), then the first free slots of the following days.
 */
export async function nearestAlternatives(
  db: Db,
  p: ProviderRow,
  s: ServiceRow,
  wanted: number,
  now: number,
  basePrice: number,
  ex: Exclude = {},
  max = 5,
): Promise<Alternative[]> {
  const day = dayOf(wanted, p.timezone);
  const near = (await available(db, p, s, day, now, ex))
    .filter((x) => x.start !== wanted && Math.abs(x.start - wanted) <= 60 * MINUTE)
    .sort((a, b) => Math.abs(a.start - wanted) - Math.abs(b.start - wanted) || a.start - b.start)
    .slice(0, 3);
  const out = near.map((x) => toAlt(x, wanted, s, basePrice));
  for (let i = 1; i <= 14 && out.length < max; i++) {
    const next = await available(db, p, s, addDays(day, i), now, ex);
    // the next day: prefer the same local time, then the nearest to it
    const wantedLocal = DateTime.fromMillis(wanted, { zone: p.timezone });
    const target = DateTime.fromISO(addDays(day, i), { zone: p.timezone })
      .set({ hour: wantedLocal.hour, minute: wantedLocal.minute })
      .toMillis();
    next.sort((a, b) => Math.abs(a.start - target) - Math.abs(b.start - target));
    for (const x of next.slice(0, max - out.length)) out.push(toAlt(x, wanted, s, basePrice));
    if (next.length) break;
  }
  return out;
}

/** Quick alternatives from an appointment's details: tomorrow, next available, or a date. */
export async function quickAlternatives(
  db: Db,
  p: ProviderRow,
  s: ServiceRow,
  currentStart: number,
  now: number,
  basePrice: number,
  kind: 'tomorrow' | 'next' | 'date',
  date: string | undefined,
  ex: Exclude,
  max = 8,
): Promise<Alternative[]> {
  const local = DateTime.fromMillis(currentStart, { zone: p.timezone });
  if (kind === 'tomorrow') {
    // the day after the appointment's own day, nearest to the same local time first
    const day = addDays(local.toISODate()!, 1);
    const target = DateTime.fromISO(day, { zone: p.timezone })
      .set({ hour: local.hour, minute: local.minute })
      .toMillis();
    return (await available(db, p, s, day, now, ex))
      .sort((a, b) => Math.abs(a.start - target) - Math.abs(b.start - target) || a.start - b.start)
      .slice(0, max)
      .map((x) => toAlt(x, currentStart, s, basePrice));
  }
  if (kind === 'date') {
    return (await available(db, p, s, date!, now, ex))
      .slice(0, 100)
      .map((x) => toAlt(x, currentStart, s, basePrice));
  }
  // next: the earliest free slots from now on, other than the current one
  const out: Alternative[] = [];
  let day = dayOf(now, p.timezone);
  for (let i = 0; i < Math.min(s.max_advance_days, 120) && out.length < max; i++, day = addDays(day, 1)) {
    for (const x of await available(db, p, s, day, now, ex)) {
      if (x.start === currentStart) continue;
      out.push(toAlt(x, currentStart, s, basePrice));
      if (out.length >= max) break;
    }
  }
  return out;
}
