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
}

/** A plain aligned table; flexible columns give up width when the terminal is narrow. */
export function table(io: IO, columns: Column[], rows: string[][]): string {
  const widths = columns.map((c, i) =>
    Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ''))),
  );
  const gap = 2;
  const total = () => widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  const max = Math.max(40, io.columns || 100);
  const flex = columns.map((c, i) => (c.flex ? i : -1)).filter((i) => i >= 0);
  while (total() > max && flex.length) {
    // shrink the widest flexible column one step at a time
    const i = flex.reduce((a, b) => (widths[b] > widths[a] ? b : a));
    if (widths[i] <= 8) {
      flex.splice(flex.indexOf(i), 1);
      continue;
    }
    widths[i]--;
  }
  const line = (cells: string[], head = false) =>
    cells
      .map((c, i) => {
        const t = truncate(c ?? '', widths[i]);
        const pad = ' '.repeat(Math.max(0, widths[i] - visibleLength(t)));
        const cell = columns[i].align === 'right' ? pad + t : i === cells.length - 1 ? t : t + pad;
        return head ? paint(io, 'bold', cell) : cell;
      })
      .join(' '.repeat(gap))
      .trimEnd();
  return `${[
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

/** The appointment list table; the zone is shown in the header when all rows share it. */
export function appointmentTable(io: IO, items: Appointment[]): string {
  const zones = [...new Set(items.map((a) => a.timezone))];
  const oneZone = zones.length === 1 ? zones[0] : undefined;
  const rows = items.map((a) => [
    a.id,
    oneZone ? when(a.start, a.timezone) : `${when(a.start, a.timezone)} ${a.timezone}`,
    a.userName,
    a.providerName,
    a.serviceTitle,
    statusCell(io, a.status),
  ]);
  return table(
    io,
    [
      { header: 'ID' },
      { header: oneZone ? `START (${oneZone})` : 'START (provider zone)' },
      { header: 'CUSTOMER', flex: true },
      { header: 'PROVIDER', flex: true },
      { header: 'SERVICE', flex: true },
      { header: 'STATUS' },
    ],
    rows,
  );
}
