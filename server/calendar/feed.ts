import { timingSafeEqual } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { type AppointmentRow, SELECT_APPT, toAppointment } from '../appointments/read.js';
import { type Actor, appendAudit } from '../audit/audit.js';
import { type Db, stmt } from '../db/open.js';
import { randomToken } from '../ids.js';
import type { JobDeps } from '../notifications/types.js';
import { calendarFor } from './ics.js';

/** How far back a feed reaches; older history is not worth re-downloading on every poll. */
export const FEED_HISTORY_MS = 90 * 24 * 3_600_000;

interface ProviderRow {
  id: string;
  name: string;
  timezone: string;
  feed_token: string;
}

/**
 * A provider's calendar as iCalendar (METHOD:PUBLISH): every appointment from 90 days ago
 * on, cancelled ones included as STATUS:CANCELLED so subscribed apps drop them. The same
 * builder as `appt export ics` (calendarFor), so UIDs and SEQUENCEs agree everywhere.
 */
export async function providerCalendar(db: Db, providerId: string, now: number): Promise<string> {
  const p = await stmt<ProviderRow>(
    db,
    'SELECT id, name, timezone, feed_token FROM providers WHERE id = ?',
  ).get(providerId);
  if (!p) throw new AppError('not_found', `provider ${providerId} not found`);
  const rows = await stmt<AppointmentRow>(
    db,
    `${SELECT_APPT} WHERE a.provider_id = ? AND a.start_at >= ? ORDER BY a.start_at, a.id`,
  ).all(providerId, now - FEED_HISTORY_MS);
  return calendarFor(rows.map(toAppointment), {
    name: `appt ${p.name}`,
    method: 'PUBLISH',
    timezone: p.timezone,
  }).toString();
}

/** The feed behind `?token=`: a wrong or missing token is a 404, so the feed's existence is not disclosed. */
export async function providerFeed(
  db: Db,
  providerId: string,
  token: string | undefined,
  now: number,
): Promise<string> {
  const p = await stmt<{ feed_token: string }>(db, 'SELECT feed_token FROM providers WHERE id = ?').get(
    providerId,
  );
  const a = Buffer.from(token ?? '');
  const b = Buffer.from(p?.feed_token ?? '');
  if (!p || a.length !== b.length || !timingSafeEqual(a, b))
    throw new AppError('not_found', `no calendar feed for provider ${providerId} with this token`);
  return await providerCalendar(db, providerId, now);
}

/** The ICS export job: `<data-dir>/exports/<providerId>.ics` for every provider, replaced atomically. */
export async function exportIcs(deps: JobDeps): Promise<{ files: number; dir: string }> {
  const { db, clock, config } = deps;
  const dir = join(config.dataDir, 'exports');
  mkdirSync(dir, { recursive: true });
  const now = clock.now();
  const ids = await stmt<{ id: string }>(db, 'SELECT id FROM providers ORDER BY id').all();
  for (const { id } of ids) {
    const file = join(dir, `${id}.ics`);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, await providerCalendar(db, id, now));
    renameSync(tmp, file);
  }
  return { files: ids.length, dir };
}

export interface FeedInfo {
  providerId: string;
  token: string;
  /** path + query to subscribe to (prefix the server URL) */
  path: string;
}

const feedInfo = (providerId: string, token: string): FeedInfo => ({
  providerId,
  token,
  path: `/providers/${encodeURIComponent(providerId)}/calendar.ics?token=${encodeURIComponent(token)}`,
});

/** The subscription details an admin hands to a provider. */
export async function feedFor(db: Db, providerId: string): Promise<FeedInfo> {
  const p = await stmt<{ feed_token: string }>(db, 'SELECT feed_token FROM providers WHERE id = ?').get(
    providerId,
  );
  if (!p) throw new AppError('not_found', `provider ${providerId} not found`);
  return feedInfo(providerId, p.feed_token);
}

/** A new feed token (the old URL stops working at once), audited like other token changes. */
export async function rotateFeedToken(
  db: Db,
  actor: Actor,
  providerId: string,
  now: number,
): Promise<FeedInfo> {
  return await db.transaction(async (tx) => {
    await feedFor(tx, providerId);
    const token = randomToken('feed_', 18);
    await stmt(tx, 'UPDATE providers SET feed_token = ? WHERE id = ?').run(token, providerId);
    await appendAudit(tx, {
      action: 'feed_token.rotated',
      outcome: 'applied',
      actor,
      metadata: { providerId },
      timestamp: now,
    });
    return feedInfo(providerId, token);
  });
}
