import { DateTime } from 'luxon';
import type { TimeslotStatus } from '../../shared/schemas.js';
import { dayOf, daysBetween, MINUTE } from '../../shared/time.js';

/**
 * Pure slot arithmetic. Nothing here reads the database or the clock: callers pass the
 * working hours, blocking intervals and `now`.
 */

export interface ServiceShape {
  id: string;
  durationMinutes: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  slotStepMinutes: number;
  minNoticeMinutes: number;
  maxAdvanceDays: number;
}

export interface HoursRow {
  weekday: number;
  startMinute: number;
  endMinute: number;
}

export interface Interval {
  start: number;
  end: number;
}

export interface Candidate {
  id: string;
  start: number;
  end: number;
  blockStart: number;
  blockEnd: number;
}

/**
 * Timeslot ids are opaque to clients but carry what the server needs to re-derive the
 * slot (service + start); the server always re-validates them against generated slots.
 */
export function encodeTimeslotId(serviceId: string, start: number): string {
  return `ts_${Buffer.from(`${serviceId}|${start}`).toString('base64url')}`;
}
export function decodeTimeslotId(id: string): { serviceId: string; start: number } | null {
  if (!id.startsWith('ts_') || id.length > 400) return null;
  const raw = Buffer.from(id.slice(3), 'base64url').toString('utf8');
  const i = raw.lastIndexOf('|');
  if (i <= 0) return null;
  const start = Number(raw.slice(i + 1));
  if (!Number.isSafeInteger(start)) return null;
  return { serviceId: raw.slice(0, i), start };
}

export function withBuffers(svc: ServiceShape, start: number, end: number): Interval {
  return { start: start - svc.bufferBeforeMinutes * MINUTE, end: end + svc.bufferAfterMinutes * MINUTE };
}

/**
 * Candidate slots of one local calendar day. Slots step through local wall-clock time from
 * each working-hours window's start: a wall time that does not exist (spring forward) is
 * skipped, a repeated wall time (fall back) is offered once, at its first occurrence, and a
 * slot must end (in real elapsed time) by the window's end.
 */
export function candidateSlots(day: string, zone: string, hours: HoursRow[], svc: ServiceShape): Candidate[] {
  // A pure function of its inputs, and the hot part of every hold and availability read
  // (luxon wall-clock arithmetic): remember recent days. The key holds every input.
  const key = `${day}|${zone}|${svc.id}|${svc.durationMinutes}|${svc.slotStepMinutes}|${svc.bufferBeforeMinutes}|${svc.bufferAfterMinutes}|${hours.map((h) => `${h.weekday}:${h.startMinute}-${h.endMinute}`).join(',')}`;
  const hit = slotCache.get(key);
  if (hit) return hit;
  const made = computeCandidates(day, zone, hours, svc);
  if (slotCache.size >= SLOT_CACHE_MAX) slotCache.delete(slotCache.keys().next().value as string);
  slotCache.set(key, made);
  return made;
}

const SLOT_CACHE_MAX = 2000;
const slotCache = new Map<string, Candidate[]>();

function computeCandidates(day: string, zone: string, hours: HoursRow[], svc: ServiceShape): Candidate[] {
  const base = DateTime.fromISO(day, { zone });
  if (!base.isValid) return [];
  const weekday = base.weekday;
  const out: Candidate[] = [];
  const seen = new Set<number>();
  const windows = hours.filter((h) => h.weekday === weekday).sort((a, b) => a.startMinute - b.startMinute);
  for (const w of windows) {
    const windowEnd = localInstant(base, w.endMinute);
    if (windowEnd === null) continue;
    for (let m = w.startMinute; m + svc.durationMinutes <= w.endMinute; m += svc.slotStepMinutes) {
      const start = localInstant(base, m);
      if (start === null) continue; // a wall time inside the spring-forward gap
      const end = start + svc.durationMinutes * MINUTE;
      if (end > windowEnd) break;
      if (seen.has(start)) continue;
      seen.add(start);
      const b = withBuffers(svc, start, end);
      out.push({ id: encodeTimeslotId(svc.id, start), start, end, blockStart: b.start, blockEnd: b.end });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * The instant of local wall time `minute` after midnight of `base`'s day, or null when that
 * wall time does not exist. For a repeated wall time luxon returns the earlier offset.
 * Minute 1440 (24:00) is the next local midnight.
 */
function localInstant(base: DateTime, minute: number): number | null {
  if (minute === 1440) return base.plus({ days: 1 }).startOf('day').toMillis();
  const h = Math.floor(minute / 60);
  const mi = minute % 60;
  const dt = base.set({ hour: h, minute: mi, second: 0, millisecond: 0 });
  if (dt.hour !== h || dt.minute !== mi) return null;
  return dt.toMillis();
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

export interface Blockers {
  booked: Interval[];
  reserved: Interval[];
  blocked: Interval[];
}

/** booked beats reserved beats blocked: the strongest reason a slot cannot be taken. */
export function slotStatus(c: Candidate, blockers: Blockers): TimeslotStatus {
  const slot = { start: c.blockStart, end: c.blockEnd };
  if (blockers.booked.some((i) => overlaps(slot, i))) return 'booked';
  if (blockers.reserved.some((i) => overlaps(slot, i))) return 'reserved';
  // busy blocks/time off are compared with the bare slot (buffers may sit in time off)
  if (blockers.blocked.some((i) => overlaps({ start: c.start, end: c.end }, i))) return 'blocked';
  return 'available';
}

/** Slots in the past or inside the minimum notice are not offered at all. */
export function isBookableTime(start: number, svc: ServiceShape, now: number): boolean {
  return start >= now + svc.minNoticeMinutes * MINUTE;
}

/** Whether `day` lies within the service's booking horizon as seen from `now` in `zone`. */
export function dayInHorizon(day: string, zone: string, svc: ServiceShape, now: number): boolean {
  const diff = daysBetween(dayOf(now, zone), day);
  return diff >= 0 && diff <= svc.maxAdvanceDays;
}
