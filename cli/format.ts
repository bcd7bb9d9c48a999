import { DateTime } from 'luxon';
import type { Appointment } from '../shared/client.js';
import type { IO } from './io.js';

/** Human output: tables that fit the terminal, colours only when io.color (TTY, no NO_COLOR). */

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};
export type Style = keyof typeof CODES;

export function paint(io: IO, style: Style, s: string): string {
  if (!io.color) return s;
  const [a, b] = CODES[style];
  return `\u001b[${a}m${s}\u001b[${b}m`;
}

const ANSI = /\u001b\[[0-9;]*m/g;
export function visibleLength(s: string): number {
  return [...s.replace(ANSI, '')].length;
}

function truncate(s: string, width: number): string {
  if (visibleLength(s) <= width) return s;
  const plain = [...s.replace(ANSI, '')];
  return width <= 1 ? plain.slice(0, width).join('') : `${plain.slice(0, width - 1).join('')}…`;
}

export interface Column {
  header: string;
  /** may shrink (with …) to fit the terminal */
  flex?: boolean;
  align?: 'left' | 'right';
  /** a value people paste (an id): never cut, never dropped */
  keep?: boolean;
  /** when the terminal is too narrow, lower priorities are dropped first (default 5) */
  priority?: number;
}

/** Shrunk flexible columns keep at least this much before columns start to be dropped. */
const COMFORT = 14;
const MIN_FLEX = 6;
/** …and down to this before a column of priority IMPORTANT or more is dropped */
const NARROW = 8;
const IMPORTANT = 7;

/**
 * A table. On a terminal it fits the width: flexible columns shrink (with …) to a readable
 * width, then the lowest-priority columns are dropped, then flexible columns shrink
 * further; `keep` columns (ids to paste) are never cut or dropped, so no row wraps at 80
 * columns. Piped (not a terminal) it prints whole values separated by tabs, a header row
 * first, as gh does: nothing is cut for a script.
 */
export function table(io: IO, columns: Column[], rows: string[][], o: { title?: string } = {}): string {
  if (!io.isTTY) {
    const clean = (v: string) => v.replace(ANSI, '').replace(/[\t\n]/g, ' ');
    return `${[columns.map((c) => c.header), ...rows].map((r) => r.map((v) => clean(v ?? '')).join('\t')).join('\n')}\n`;
  }
  const natural = columns.map((c, i) =>
    Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ''))),
  );
  const gap = 2;
  const max = Math.max(20, io.columns || 80);
  const droppable = columns
    .map((c, i) => ({ i, p: c.priority ?? 5, keep: c.keep }))
    .filter((c) => !c.keep)
    .sort((a, b) => a.p - b.p || b.i - a.i)
    .map((c) => c.i);
  let shown: number[] = [];
  let widths: number[] = [];
  const total = () => shown.reduce((a, i) => a + widths[i]!, 0) + gap * (shown.length - 1);
  const shrink = (floor: number) => {
    for (;;) {
      if (total() <= max) return true;
      const flex = shown.filter((i) => columns[i]!.flex && widths[i]! > Math.min(floor, natural[i]!));
      if (!flex.length) return false;
      const i = flex.reduce((a, b) => (widths[b]! > widths[a]! ? b : a));
      widths[i]!--;
    }
  };
  let fits = false;
  for (let drop = 0; drop <= droppable.length && !fits; drop++) {
    const gone = new Set(droppable.slice(0, drop));
    shown = columns.map((_, i) => i).filter((i) => !gone.has(i));
    widths = [...natural];
    fits = shrink(COMFORT);
    // before an important column goes, names may shrink further (still a readable prefix)
    const next = droppable[drop];
    if (!fits && next !== undefined && (columns[next]!.priority ?? 5) >= IMPORTANT) fits = shrink(NARROW);
  }
  if (!fits) shrink(MIN_FLEX);
  const line = (cells: string[], head = false) =>
    shown
      .map((i, k) => {
        const t = columns[i]!.keep ? (cells[i] ?? '') : truncate(cells[i] ?? '', widths[i]!);
        const pad = ' '.repeat(Math.max(0, widths[i]! - visibleLength(t)));
        const cell = columns[i]!.align === 'right' ? pad + t : k === shown.length - 1 ? t : t + pad;
        return head ? paint(io, 'bold', cell) : cell;
      })
      .join(' '.repeat(gap))
      .trimEnd();
  return `${[
    ...(o.title ? [paint(io, 'dim', truncate(o.title, max))] : []),
    line(
      columns.map((c) => c.header),
      true,
    ),
    ...rows.map((r) => line(r)),
  ].join('\n')}\n`;
}

/** "Mon 2030-01-07 09:30" in the provider's zone. */
export function when(isoStr: string, zone: string): string {
  return DateTime.fromISO(isoStr, { zone }).toFormat('ccc yyyy-MM-dd HH:mm');
}

/**
 * The one convention for times in every CLI view: `Tue 2030-01-08 10:00 Europe/Berlin`, in
 * the provider's zone (or the terminal's, where no provider applies), always with the zone
 * named — in the cell, or once in the column header when every row shares it.
 */
export function whenZ(isoStr: string, zone: string): string {
  return `${when(isoStr, zone)} ${zone}`;
}

/** Who did it, in words: "demo front desk, staff", a customer's name, "system"; else the id. */
export function actorLabel(a: {
  id: string;
  type: string;
  name?: string | null;
  role?: string | null;
}): string {
  if (!a.name) return a.type === 'system' ? 'system' : `${a.type}:${a.id}`;
  if (a.type === 'user' || a.type === 'system' || !a.role) return a.name;
  return `${a.name}, ${a.role}`;
}

export function hm(isoStr: string, zone: string): string {
  return DateTime.fromISO(isoStr, { zone }).toFormat('HH:mm');
}

export function money(cents: number | null | undefined, currency: string): string {
  if (cents === null || cents === undefined) return '-';
  return `${cents < 0 ? '-' : ''}${(Math.abs(cents) / 100).toFixed(2)} ${currency}`;
}

/** A status as people read it: one spelling, `no-show` (the API's JSON keeps `no_show`). */
export function statusWord(s: string): string {
  return s === 'no_show' ? 'no-show' : s;
}

export function statusCell(io: IO, s: string): string {
  const w = statusWord(s);
  if (s === 'cancelled' || s === 'no_show') return paint(io, 'red', w);
  if (s === 'confirmed' || s === 'rescheduled') return paint(io, 'green', w);
  if (s === 'upcoming') return paint(io, 'yellow', w);
  return w;
}

/**
 * The appointment list table. Names come first and survive a narrow terminal; the id is last
 * and never cut (people paste it). The zone is named once when every row shares it — in
 * the START header when piped, in a title line on a terminal (where width is short) — and
 * otherwise in each cell, abbreviated on a terminal.
 */
export function appointmentTable(io: IO, items: Appointment[]): string {
  const zones = [...new Set(items.map((a) => a.timezone))];
  const oneZone = zones.length === 1 ? zones[0] : undefined;
  const cell = (a: Appointment) => {
    if (!io.isTTY) return oneZone ? when(a.start, a.timezone) : whenZ(a.start, a.timezone);
    const t = DateTime.fromISO(a.start, { zone: a.timezone });
    return oneZone ? t.toFormat('ccc MM-dd HH:mm') : t.toFormat('MM-dd HH:mm ZZZZ');
  };
  const rows = items.map((a) => [
    a.userName,
    cell(a),
    statusCell(io, a.status) + (a.needsAttention ? '!' : ''),
    a.providerName,
    a.serviceTitle,
    a.id,
  ]);
  const start = !io.isTTY && oneZone ? `START (${oneZone})` : 'START';
  return table(
    io,
    [
      { header: 'CUSTOMER', flex: true, priority: 9 },
      { header: start, priority: 8 },
      { header: 'STATUS', priority: 7 },
      { header: 'PROVIDER', flex: true, priority: 4 },
      { header: 'SERVICE', flex: true, priority: 3 },
      { header: 'ID', keep: true },
    ],
    rows,
    {
      title: oneZone
        ? `times in ${oneZone}${items.some((a) => a.needsAttention) ? ' · ! needs attention' : ''}`
        : `times in each provider's zone${items.some((a) => a.needsAttention) ? ' · ! needs attention' : ''}`,
    },
  );
}

/** An audit trail as a table: when (zone named), what, who in words, detail; ids kept whole. */
export function auditTable(
  io: IO,
  items: {
    timestamp: string;
    action: string;
    outcome: string;
    actor: { id: string; type: string; name?: string | null; role?: string | null };
    channel: string;
    appointmentId?: string | null;
    previousSlot: { start: string } | null;
    newSlot: { start: string } | null;
    feeCents: number | null;
    errorCode: string | null;
    reason: string | null;
    hash?: string;
  }[],
  zone: string,
  o: { appointment?: boolean; hash?: boolean } = {},
): string {
  const cols: Column[] = [
    { header: `WHEN (${zone})`, priority: 9 },
    { header: 'ACTION', priority: 8 },
    { header: 'OUTCOME', priority: 6 },
    { header: 'BY', flex: true, priority: 8 },
    { header: 'CHANNEL', priority: 2 },
    { header: 'DETAIL', flex: true, priority: 4 },
  ];
  if (o.hash) cols.push({ header: 'HASH', priority: 1 });
  if (o.appointment) cols.push({ header: 'APPOINTMENT', keep: true });
  return table(
    io,
    cols,
    items.map((e) => {
      const r = [
        when(e.timestamp, zone),
        e.action === 'no_show' ? 'no-show' : e.action,
        e.outcome,
        actorLabel(e.actor),
        e.channel,
        [
          e.previousSlot && e.newSlot
            ? `${when(e.previousSlot.start, zone)} → ${when(e.newSlot.start, zone)}`
            : e.newSlot
              ? `→ ${when(e.newSlot.start, zone)}`
              : '',
          e.feeCents !== null ? `fee ${(e.feeCents / 100).toFixed(2)}` : '',
          e.errorCode ?? '',
          e.reason ?? '',
        ]
          .filter(Boolean)
          .join(' '),
      ];
      if (o.hash) r.push((e.hash ?? '').slice(0, 12));
      if (o.appointment) r.push(e.appointmentId ?? '-');
      return r;
    }),
  );
}
