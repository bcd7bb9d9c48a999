import { skipLocked } from '../db/port.js';
import { createObject, deleteObject, updateObject } from 'tsdav';
import { getAppointmentRow, toAppointment } from '../appointments/read.js';
import { type Db, stmt } from '../db/open.js';
import { backoffMs, DEFAULT_RETRY, type JobDeps, type RetryPolicy } from '../notifications/types.js';
import { caldavObject } from './ics.js';
import {
  type CaldavCredentials,
  caldavAuthHeaders,
  caldavCredentials,
  splitUrlCredentials,
} from '../catalog/credentials.js';

/**
 * A provider's CalDAV calendar: the collection URL and the headers that authenticate to it.
 * Credentials come from the write-only credential fields (`provider_credentials`); a URL
 * that still carries userinfo (`https://user:pass@host/cal/`, written by hand) works too,
 * and the userinfo never goes on the request line.
 */
export function caldavTarget(
  collectionUrl: string,
  creds?: CaldavCredentials | null,
): { base: string; headers: Record<string, string> } {
  const split = splitUrlCredentials(collectionUrl);
  const fromUrl =
    split.username || split.password
      ? { username: split.username ?? null, password: split.password ?? null, token: null }
      : null;
  const headers = caldavAuthHeaders(
    creds && (creds.token || creds.username || creds.password) ? creds : fromUrl,
  );
  let base = split.url;
  if (!base.endsWith('/')) base += '/';
  return { base, headers };
}

export function objectUrl(collectionUrl: string, uid: string): string {
  return `${caldavTarget(collectionUrl).base}${encodeURIComponent(uid)}.ics`;
}

interface SyncRow {
  id: string;
  appointment_id: string;
  provider_id: string;
  target: string;
  external_uid: string;
  sequence: number;
  status: string;
  attempts: number;
}

export interface SyncResult {
  claimed: number;
  pushed: number;
  deleted: number;
  retried: number;
  failed: number;
}

async function ok(res: Response, what: string, allow: number[] = []): Promise<void> {
  if ((res.status >= 200 && res.status < 300) || allow.includes(res.status)) return;
  const text = await res.text().catch(() => '');
  throw new Error(`${what}: HTTP ${res.status}${text ? ` ${text.slice(0, 200)}` : ''}`);
}

/**
 * Pushes pending calendar_sync rows to their CalDAV calendars with tsdav: PUT the event
 * (create, or update with SEQUENCE = the appointment's version) or DELETE it once the
 * appointment is cancelled. State-based: it pushes what the appointment is now, so a
 * crash or a rerun repeats an idempotent PUT/DELETE. A row is marked done only if no newer
 * version arrived meanwhile (the guard on `sequence`).
 */
export async function syncCalendars(
  deps: JobDeps,
  opts: { limit?: number; leaseMs?: number; retry?: RetryPolicy; fetch?: typeof fetch } = {},
): Promise<SyncResult> {
  const { db, clock, logger } = deps;
  const retry = opts.retry ?? DEFAULT_RETRY;
  const res: SyncResult = { claimed: 0, pushed: 0, deleted: 0, retried: 0, failed: 0 };
  const rows = await claim(db, clock.now(), opts.limit ?? 50, opts.leaseMs ?? 120_000);
  res.claimed = rows.length;
  for (const r of rows) {
    try {
      const row = await getAppointmentRow(db, r.appointment_id);
      const { headers } = caldavTarget(r.target, await caldavCredentials(db, r.provider_id));
      const url = objectUrl(r.target, r.external_uid);
      const common = { url, headers, ...(opts.fetch ? { fetch: opts.fetch } : {}) };
      let version: number;
      let status: 'synced' | 'deleted';
      if (!row || row.status === 'cancelled') {
        // 404/410: already gone (deleted by hand, or a rerun) — the state we want
        await ok(await deleteObject(common), 'CalDAV DELETE', [404, 410]);
        version = row?.version ?? r.sequence;
        status = 'deleted';
        res.deleted++;
      } else {
        const a = toAppointment(row);
        const data = caldavObject(a);
        const put = {
          ...common,
          headers: { ...headers, 'content-type': 'text/calendar; charset=utf-8' },
          data,
        };
        // first push creates; later pushes replace the object (same URL, same UID, higher SEQUENCE)
        await ok(
          await (r.sequence > 1 || r.attempts > 1 ? updateObject(put) : createObject(put)),
          'CalDAV PUT',
        );
        version = a.version;
        status = 'synced';
        res.pushed++;
      }
      await stmt(
        db,
        `UPDATE calendar_sync SET status = ?, sequence = ?, attempts = 0, last_error = NULL, updated_at = ?
          WHERE id = ? AND sequence <= ?`,
      ).run(status, version, clock.now(), r.id, version);
    } catch (err) {
      const attempts = r.attempts;
      const dead = attempts >= retry.maxAttempts;
      await stmt(
        db,
        `UPDATE calendar_sync SET status = ?, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'`,
      ).run(
        dead ? 'failed' : 'pending',
        clock.now() + backoffMs(attempts, retry),
        String((err as Error)?.message ?? err).slice(0, 500),
        clock.now(),
        r.id,
      );
      res[dead ? 'failed' : 'retried']++;
      logger.warn({ err, calendarSyncId: r.id, attempts }, 'calendar sync failed');
    }
  }
  return res;
}

/** Takes due rows under a lease (next_attempt_at pushed ahead), one transaction, so two runs never push the same row at once. */
async function claim(db: Db, now: number, limit: number, leaseMs: number): Promise<SyncRow[]> {
  return await db.transaction(async (tx) => {
    const rows = await stmt<SyncRow>(
      tx,
      `SELECT id, appointment_id, provider_id, target, external_uid, sequence, status, attempts FROM calendar_sync
        WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?${skipLocked(tx)}`,
    ).all(now, limit);
    const take = stmt(
      tx,
      'UPDATE calendar_sync SET next_attempt_at = ?, attempts = attempts + 1 WHERE id = ?',
    );
    for (const r of rows) await take.run(now + leaseMs, r.id);
    return rows.map((r) => ({ ...r, attempts: r.attempts + 1 }));
  });
}
