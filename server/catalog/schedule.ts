import type { Static } from '@sinclair/typebox';
import { AppError } from '../../shared/errors.js';
import type { HoursBody, TimeOffBody } from '../../shared/schemas.js';
import { iso } from '../../shared/time.js';
import type { Actor } from '../audit/audit.js';
import { type Db, stmt } from '../db/open.js';
import { newId } from '../ids.js';
import type { WriteScope } from '../outbox/write.js';
import { audit, providerHours, requireProvider } from './catalog.js';

/** A provider's schedule: weekly working hours in local time, and time off (busy blocks). */

function hhmm(s: string): number {
  const [h, m] = s.split(':').map(Number);
  return h * 60 + m;
}

export async function setHours(
  db: Db,
  w: WriteScope,
  actor: Actor,
  providerId: string,
  b: Static<typeof HoursBody>,
) {
  const p = await requireProvider(db, providerId);
  const rows = b.map((h) => ({ weekday: h.weekday, startMinute: hhmm(h.start), endMinute: hhmm(h.end) }));
  for (const r of rows)
    if (r.endMinute <= r.startMinute)
      throw new AppError('validation', `hours end must be after start (weekday ${r.weekday})`);
  const sorted = [...rows].sort((a, b) => a.weekday - b.weekday || a.startMinute - b.startMinute);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i].weekday === sorted[i - 1].weekday && sorted[i].startMinute < sorted[i - 1].endMinute)
      throw new AppError('validation', `overlapping hours on weekday ${sorted[i].weekday}`);
  await stmt(db, 'DELETE FROM working_hours WHERE provider_id = ?').run(providerId);
  const ins = stmt(
    db,
    'INSERT INTO working_hours (id, provider_id, weekday, start_minute, end_minute) VALUES (?, ?, ?, ?, ?)',
  );
  for (const r of sorted) await ins.run(newId(), providerId, r.weekday, r.startMinute, r.endMinute);
  await audit(db, w, actor, 'hours.set', { providerId, hours: b });
  w.emit(
    'availability.changed',
    { providerId: p.id, startAt: w.now, endAt: w.now + 400 * 86_400_000 },
    { realtimeOnly: true },
  );
  return (await providerHours(db, providerId)).map((h) => ({
    weekday: h.weekday,
    start: fmt(h.startMinute),
    end: fmt(h.endMinute),
  }));
}
const fmt = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

export interface BusyRow {
  id: string;
  provider_id: string;
  start_at: number;
  end_at: number;
  source: string;
  external_id: string | null;
  reason: string | null;
}
export const toTimeOff = (r: BusyRow) => ({
  id: r.id,
  providerId: r.provider_id,
  start: iso(r.start_at),
  end: iso(r.end_at),
  source: r.source,
  externalId: r.external_id,
  reason: r.reason,
});

export async function addTimeOff(
  db: Db,
  w: WriteScope,
  actor: Actor,
  providerId: string,
  b: Static<typeof TimeOffBody>,
) {
  await requireProvider(db, providerId);
  const start = Date.parse(b.start);
  const end = Date.parse(b.end);
  if (!(end > start)) throw new AppError('validation', 'time off end must be after start');
  const row: BusyRow = {
    id: newId(),
    provider_id: providerId,
    start_at: start,
    end_at: end,
    source: 'manual',
    external_id: null,
    reason: b.reason ?? null,
  };
  await stmt(
    db,
    `INSERT INTO busy_blocks (id, provider_id, start_at, end_at, source, external_id, reason, created_at)
     VALUES (@id, @provider_id, @start_at, @end_at, @source, @external_id, @reason, @created_at)`,
    // named parameters only: the PostgreSQL adapter does not mix them with `?` (it was a 500 there)
  ).run({ ...row, created_at: w.now });
  await audit(db, w, actor, 'time_off.added', {
    providerId,
    start: b.start,
    end: b.end,
    reason: b.reason ?? null,
  });
  w.emit('availability.changed', { providerId, startAt: start, endAt: end }, { realtimeOnly: true });
  return toTimeOff(row);
}

export async function listTimeOff(db: Db, providerId: string) {
  await requireProvider(db, providerId);
  return (
    await stmt<BusyRow>(db, 'SELECT * FROM busy_blocks WHERE provider_id = ? ORDER BY start_at').all(
      providerId,
    )
  ).map(toTimeOff);
}
