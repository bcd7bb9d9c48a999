import { DateTime } from 'luxon';
import type { Appointment } from '../../shared/schemas.js';
import { isActive, zoneAbbr } from './words.js';

/**
 * The list's decisions, kept out of the view so tests can call them: how a day is grouped,
 * how a search matches and orders, how a typed date is read.
 */

export type ListLine =
  | { kind: 'group'; key: string; text: string }
  | { kind: 'row'; a: Appointment; index: number };

/**
 * The day view: one group per provider (their zone in the header), rows sorted by local
 * start inside each group; groups in provider-name order, so they keep their place as
 * appointments move. `order` is the appointments in display order (what j/k walk through).
 */
export function groupByProvider(items: Appointment[]): { lines: ListLine[]; order: Appointment[] } {
  const groups = new Map<string, Appointment[]>();
  for (const a of items) {
    const g = groups.get(a.providerId) ?? [];
    g.push(a);
    groups.set(a.providerId, g);
  }
  const localKey = (a: Appointment) =>
    DateTime.fromISO(a.start, { zone: a.timezone }).toFormat('yyyy-MM-dd HH:mm');
  const sorted = [...groups.values()].map((g) =>
    [...g].sort((x, y) => localKey(x).localeCompare(localKey(y)) || x.id.localeCompare(y.id)),
  );
  // groups keep their place while appointments move: by provider name
  sorted.sort(
    (x, y) =>
      x[0]!.providerName.localeCompare(y[0]!.providerName) ||
      x[0]!.providerId.localeCompare(y[0]!.providerId),
  );
  const lines: ListLine[] = [];
  const order: Appointment[] = [];
  for (const g of sorted) {
    const f = g[0]!;
    const days = [
      ...new Set(g.map((a) => DateTime.fromISO(a.start, { zone: a.timezone }).toFormat('ccc dd LLL'))),
    ];
    lines.push({
      kind: 'group',
      key: `g:${f.providerId}`,
      text: `${f.providerName} · ${f.timezone} (${zoneAbbr(f.timezone, Date.parse(f.start))}) · ${days.join(', ')} · ${g.length}`,
    });
    for (const a of g) {
      lines.push({ kind: 'row', a, index: order.length });
      order.push(a);
    }
  }
  return { lines, order };
}

export const flatLines = (items: Appointment[]): ListLine[] =>
  items.map((a, index) => ({ kind: 'row', a, index }));

const words = (s: string) =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

/** Several words match as prefixes in any order: `fran torv` finds "Frances Torvalds". */
export function matchesSearch(a: Appointment, query: string): boolean {
  const want = words(query);
  if (!want.length) return true;
  const have = [...words(a.userName), ...words(a.providerName), ...words(a.serviceTitle)];
  return want.every((w) => have.some((h) => h.startsWith(w))) || a.id.startsWith(query.trim());
}

/** The word the server is asked for (its `q` is one substring): the longest typed word. */
export function serverTerm(query: string): string {
  return [...query.trim().split(/\s+/)].sort((x, y) => y.length - x.length)[0] ?? '';
}

/**
 * Search results: upcoming (active, not started) first, soonest first; then the rest, most
 * recent first. The first row is the customer's next appointment.
 */
export function orderSearch(items: Appointment[], now: number): Appointment[] {
  const ahead = (a: Appointment) => isActive(a) && Date.parse(a.start) > now;
  const up = items.filter(ahead).sort((x, y) => Date.parse(x.start) - Date.parse(y.start));
  const rest = items.filter((a) => !ahead(a)).sort((x, y) => Date.parse(y.start) - Date.parse(x.start));
  return [...up, ...rest];
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/**
 * A typed day: `today`, `tomorrow`, `+3`, `MM-DD`, `YYYY-MM-DD` or a weekday name (`fri`,
 * `friday`: the next one after today). `past` says the day is before today in `zone`.
 */
export function parsePickDate(
  input: string,
  now: number,
  zone: string,
): { ok: true; date: string; past: boolean } | { ok: false; error: string } {
  const s = input.trim().toLowerCase();
  const today = DateTime.fromMillis(now, { zone }).startOf('day');
  let d: DateTime | null = null;
  if (s === 'today') d = today;
  else if (s === 'tomorrow') d = today.plus({ days: 1 });
  else if (/^[+-]\d{1,3}$/.test(s)) d = today.plus({ days: Number(s) });
  else if (/^\d{4}-\d{2}-\d{2}$/.test(s)) d = DateTime.fromISO(s, { zone });
  else if (/^\d{1,2}-\d{1,2}$/.test(s)) {
    const [m, day] = s.split('-').map(Number) as [number, number];
    d = DateTime.fromObject({ year: today.year, month: m, day }, { zone });
    // a month-day already behind us means next year's
    if (d.isValid && d < today) d = d.plus({ years: 1 });
  } else if (s.length >= 2) {
    const i = WEEKDAYS.findIndex((w) => w.startsWith(s));
    if (i >= 0) {
      const ahead = (i + 1 - today.weekday + 7) % 7 || 7;
      d = today.plus({ days: ahead });
    }
  }
  if (!d?.isValid)
    return {
      ok: false,
      error: `Not a date: “${input.trim()}” — try today, tomorrow, +3, 12-24, fri or 2026-12-24`,
    };
  const date = d.toISODate()!;
  return { ok: true, date, past: d < today };
}
