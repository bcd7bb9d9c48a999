import { DateTime } from 'luxon';
import type { Appointment } from '../../shared/schemas.js';
import { formatMoney } from '../../shared/time.js';

/** Screen formatting: times in the provider's zone, fixed-width columns that fit 80 columns. */
export const localTime = (iso: string, zone: string, fmt = 'ccc yyyy-MM-dd HH:mm') =>
  DateTime.fromISO(iso, { zone }).toFormat(fmt);

export const clockTime = (ms: number) => DateTime.fromMillis(ms).toFormat('HH:mm:ss');

export const money = formatMoney;

export function mmss(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function cell(s: string, w: number): string {
  if (w <= 0) return '';
  if (s.length <= w) return s.padEnd(w);
  return w <= 1 ? s.slice(0, w) : `${s.slice(0, w - 1)}…`;
}

export const STATUS_COLOR: Record<string, string> = {
  upcoming: 'cyan',
  confirmed: 'green',
  rescheduled: 'yellow',
  cancelled: 'red',
  completed: 'gray',
  no_show: 'magenta',
};

/** How a list shows time zones: in group headers, once in the column header, or on each row. */
export type ZoneMode = { kind: 'groups' } | { kind: 'one'; zone: string } | { kind: 'rows' };

function widths(width: number, showCustomer: boolean, showProvider: boolean, zones: ZoneMode) {
  const wide = width >= 100;
  // rows from several zones carry their zone ("GMT+13" at most 9 wide)
  const whenW = (wide ? 20 : 16) + (zones.kind === 'rows' ? 7 : 0);
  // "› " + when + 4 separators + status(13) + price(11) + a spare column
  const rest = Math.max(12, width - (2 + whenW + 4 + 13 + 11 + 1));
  // names get the room first: without a provider column (the day view's group header
  // names it) the customer takes half
  const who = showCustomer ? Math.floor(rest / (showProvider ? 3 : 2)) : 0;
  const prov = showProvider ? Math.floor((rest - who) / 2) : 0;
  return { wide, whenW, who, prov, svc: rest - who - prov };
}

/**
 * One list row split into columns sized for `width` (the year goes first when space is
 * short). A row that needs attention carries `!` after its status.
 */
export function rowColumns(
  a: Appointment,
  width: number,
  showCustomer: boolean,
  showProvider = true,
  zones: ZoneMode = { kind: 'groups' },
) {
  const w = widths(width, showCustomer, showProvider, zones);
  const fmt = w.wide ? 'ccc yyyy-MM-dd HH:mm' : 'ccc dd LLL HH:mm';
  const when = localTime(a.start, a.timezone, zones.kind === 'rows' ? `${fmt} ZZZZ` : fmt);
  const price = money(a.priceCents, a.currency);
  const status = `${a.status.replace('_', '-')}${a.needsAttention ? ' !' : ''}`;
  return {
    when: cell(when, w.whenW),
    customer: showCustomer ? cell(a.userName, w.who - 1) : '',
    provider: showProvider ? cell(a.providerName, w.prov - 1) : '',
    service: cell(a.serviceTitle, w.svc - 1),
    status: cell(status, 13),
    price: price.padStart(11),
  };
}

/** The column headers over every list, aligned with rowColumns. */
export function headerColumns(
  width: number,
  showCustomer: boolean,
  showProvider = true,
  zones: ZoneMode = { kind: 'groups' },
) {
  const w = widths(width, showCustomer, showProvider, zones);
  return {
    when: cell('When (local)', w.whenW),
    customer: showCustomer ? cell('Customer', w.who - 1) : '',
    provider: showProvider ? cell('Provider', w.prov - 1) : '',
    service: cell('Service', w.svc - 1),
    status: cell('Status', 13),
    price: 'Price'.padStart(11),
  };
}

export function signedMinutes(m: number): string {
  if (m === 0) return 'same time';
  const abs = Math.abs(m);
  const d = Math.floor(abs / 1440);
  const h = Math.floor((abs % 1440) / 60);
  const min = abs % 60;
  const parts = [d ? `${d} d` : '', h ? `${h} h` : '', min ? `${min} min` : ''].filter(Boolean);
  return `${m < 0 ? '-' : '+'}${parts.join(' ')}`;
}

export function signedMoney(c: number, currency: string): string {
  if (c === 0) return 'same price';
  return `${c > 0 ? '+' : '-'}${money(Math.abs(c), currency)}`;
}
