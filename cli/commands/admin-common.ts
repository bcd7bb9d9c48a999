import type { ApiClient } from '../../shared/client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { type Factory, using } from '../factory.js';
import type { IO } from '../io.js';

/** Shared pieces of the `appt admin` commands: one HTTP call, its JSON or table output. */

export type Render = (data: never, io: IO) => Promise<string> | string;

export async function call(
  f: Factory,
  json: boolean | undefined,
  fn: (c: ApiClient) => Promise<unknown>,
  render: Render,
) {
  const { toCliError } = await import('../runtime.js');
  const { io } = f;
  await using(f, async () => {
    const rt = await f.runtime({ json, replay: false });
    let data: unknown;
    try {
      data = await fn(rt.client);
    } catch (e) {
      throw toCliError(e, io, Boolean(json));
    }
    if (json) io.out(`${JSON.stringify(data ?? { ok: true })}\n`);
    else io.out(await render(data as never, io));
  });
}

export async function rows(io: IO, headers: string[], data: string[][]): Promise<string> {
  const { table } = await import('../format.js');
  if (!data.length) return '(none)\n';
  return table(
    io,
    headers.map((h, i) => ({ header: h, flex: i > 0 })),
    data,
  );
}

export function int(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v))
    throw new CliError(`${flag} must be a whole number (got ${JSON.stringify(v)})`, EXIT.usage);
  return Number(v);
}

export function iso(v: string | undefined, flag: string): string | undefined {
  if (v === undefined) return undefined;
  if (Number.isNaN(Date.parse(v)))
    throw new CliError(`${flag} must be an ISO time (got ${JSON.stringify(v)})`, EXIT.usage);
  return new Date(v).toISOString();
}

const DAYS: Record<string, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };
/** ISO weekdays (Monday = 1) as `hours show` prints and `hours set` reads them. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Hours rows → the `--hours` spec that sets them (consecutive days with one range folded). */
export function hoursSpec(rows: { weekday: number; start: string; end: string }[]): string {
  const sorted = [...rows].sort((a, b) => a.weekday - b.weekday || a.start.localeCompare(b.start));
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    const r = sorted[i]!;
    let j = i;
    while (
      sorted[j + 1] &&
      sorted[j + 1]!.weekday === sorted[j]!.weekday + 1 &&
      sorted[j + 1]!.start === r.start &&
      sorted[j + 1]!.end === r.end &&
      !sorted.some((x, k) => k !== j + 1 && x.weekday === sorted[j + 1]!.weekday)
    )
      j++;
    const a = WEEKDAYS[r.weekday - 1];
    const b = WEEKDAYS[sorted[j]!.weekday - 1];
    parts.push(`${a}${j > i ? `-${b}` : ''}=${r.start}-${r.end}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** "mon-fri=09:00-17:00,sat=10:00-14:00" (or 1-5=…) → hours rows. */
export function parseHours(spec: string): { weekday: number; start: string; end: string }[] {
  const out: { weekday: number; start: string; end: string }[] = [];
  for (const part of spec.split(/[,\s]+/).filter(Boolean)) {
    const m = /^([a-z0-9]+)(?:-([a-z0-9]+))?=(\d{2}:\d{2})-(\d{2}:\d{2})$/i.exec(part);
    const day = (s: string) => DAYS[s.toLowerCase()] ?? (/^[1-7]$/.test(s) ? Number(s) : Number.NaN);
    if (!m || Number.isNaN(day(m[1])) || (m[2] && Number.isNaN(day(m[2]))))
      throw new CliError(
        `--hours: cannot read ${JSON.stringify(part)}; use e.g. mon-fri=09:00-17:00,sat=10:00-14:00`,
        EXIT.usage,
      );
    const a = day(m[1]);
    const b = m[2] ? day(m[2]) : a;
    for (let d = a; d <= b; d++) out.push({ weekday: d, start: m[3], end: m[4] });
  }
  return out;
}

export const JSON_NOTE = '--json prints the object(s) the server returns ({"items":[…]} for lists)';
