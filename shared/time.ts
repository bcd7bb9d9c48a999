import { DateTime, IANAZone } from 'luxon';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
export function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : iso(ms);
}

/** Parses YYYY-MM-DD strictly; returns null for anything that is not a real calendar day. */
export function parseDay(s: string): { year: number; month: number; day: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const d = DateTime.fromObject({ year: +m[1], month: +m[2], day: +m[3] }, { zone: 'UTC' });
  return d.isValid ? { year: +m[1], month: +m[2], day: +m[3] } : null;
}

/**
 * Recently seen local days per zone, as half-open instant ranges: `dayOf` runs on every hold,
 * booking and realtime event, and luxon's zone arithmetic is the expensive part of it. A
 * range is exact (its ends come from luxon, DST included), so a hit answers what luxon
 * would.
 */
const DAY_RANGES_PER_ZONE = 16;
const dayRanges = new Map<string, { from: number; to: number; day: string }[]>();

/** The calendar day (YYYY-MM-DD) of an instant in a zone. */
export function dayOf(ms: number, zone: string): string {
  const seen = dayRanges.get(zone);
  if (seen) for (const r of seen) if (ms >= r.from && ms < r.to) return r.day;
  const dt = DateTime.fromMillis(ms, { zone });
  if (!dt.isValid) return dt.toISODate()!;
  const day = dt.toISODate()!;
  const range = {
    from: dt.startOf('day').toMillis(),
    to: dt.plus({ days: 1 }).startOf('day').toMillis(),
    day,
  };
  const list = seen ?? [];
  if (list.length >= DAY_RANGES_PER_ZONE) list.shift();
  list.push(range);
  if (!seen) dayRanges.set(zone, list);
  return day;
}

/** 'today' | 'tomorrow' | YYYY-MM-DD → YYYY-MM-DD in `zone`, or null when not a day. */
export function resolveDay(input: string, zone: string, now: number): string | null {
  if (input === 'today') return dayOf(now, zone);
  if (input === 'tomorrow') return DateTime.fromMillis(now, { zone }).plus({ days: 1 }).toISODate();
  return parseDay(input) ? input : null;
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `day` + n calendar days; plain UTC date arithmetic (calendar days have no zone). */
export function addDays(day: string, n: number): string {
  const t = ISO_DAY.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(t)) return DateTime.fromISO(day, { zone: 'UTC' }).plus({ days: n }).toISODate()!;
  return new Date(t + n * DAY).toISOString().slice(0, 10);
}

/** Calendar days from `a` to `b` (both YYYY-MM-DD). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY);
}

/** Start of the local day as an instant (handles zones whose midnight is skipped). */
export function startOfDay(day: string, zone: string): number {
  return DateTime.fromISO(day, { zone }).startOf('day').toMillis();
}

/** Formats an instant in a zone for people: "Mon 2026-11-30 09:30 (Europe/London)". */
export function formatLocal(ms: number | string, zone: string, withZone = true): string {
  const t = typeof ms === 'string' ? Date.parse(ms) : ms;
  const d = DateTime.fromMillis(t, { zone });
  return d.toFormat('ccc yyyy-MM-dd HH:mm') + (withZone ? ` (${zone})` : '');
}

export function formatMoney(cents: number, currency: string): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${(abs / 100).toFixed(2)} ${currency}`;
}
