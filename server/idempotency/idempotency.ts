import { createHash } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import { type Db, stmt } from '../db/open.js';

/** Keys are kept 24 h (published in the OpenAPI document). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** An in-flight claim older than this was left by a crashed process and may be taken over. */
export const IN_FLIGHT_LEASE_MS = 60_000;

export interface IdemRequest {
  actorId: string;
  key: string;
  method: string;
  route: string;
  fingerprint: string;
}

export interface StoredResponse {
  statusCode: number;
  body: string;
  contentType: string;
  headers: Record<string, string>;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** The request's fingerprint: method + path + body (key order does not matter). */
export function fingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${path}\n`)
    .update(JSON.stringify(canonical(body ?? null)))
    .digest('hex');
}

interface KeyRow {
  fingerprint: string;
  state: 'in_flight' | 'done';
  status_code: number | null;
  body: string | null;
  content_type: string | null;
  headers: string | null;
  locked_until: number;
  expires_at: number;
}

/**
 * Claims a key or finds its stored response. Same key + same request → the stored response
 * (replayed byte for byte); + another request → 422; while the first is in flight → 409.
 */
export async function beginIdempotent(
  db: Db,
  r: IdemRequest,
  now: number,
): Promise<{ replay: StoredResponse } | { replay: null }> {
  return await db.transaction(async (tx) => {
    // one claim per key across processes: the second waits here and then sees the first
    await tx.lock(`idem:${r.actorId}:${r.key}`);
    const row = await stmt<KeyRow>(tx, 'SELECT * FROM idempotency_keys WHERE actor_id = ? AND key = ?').get(
      r.actorId,
      r.key,
    );
    if (row && row.expires_at > now) {
      if (row.fingerprint !== r.fingerprint)
        throw new AppError(
          'idempotency_key_reused',
          'this Idempotency-Key was used with a different request; use a new key for a new request',
        );
      if (row.state === 'done')
        return {
          replay: {
            statusCode: row.status_code!,
            body: row.body ?? '',
            contentType: row.content_type ?? 'application/json; charset=utf-8',
            headers: row.headers ? JSON.parse(row.headers) : {},
          },
        };
      if (row.locked_until > now)
        throw new AppError(
          'idempotency_in_flight',
          'a request with this Idempotency-Key is still being processed; retry shortly',
        );
    }
    await stmt(
      tx,
      `INSERT INTO idempotency_keys (actor_id, key, method, route, fingerprint, state, created_at, locked_until, expires_at)
       VALUES (?, ?, ?, ?, ?, 'in_flight', ?, ?, ?)
       ON CONFLICT (actor_id, key) DO UPDATE SET method = excluded.method, route = excluded.route,
         fingerprint = excluded.fingerprint, state = 'in_flight', status_code = NULL, body = NULL, content_type = NULL,
         headers = NULL, created_at = excluded.created_at, locked_until = excluded.locked_until, expires_at = excluded.expires_at`,
    ).run(
      r.actorId,
      r.key,
      r.method,
      r.route,
      r.fingerprint,
      now,
      now + IN_FLIGHT_LEASE_MS,
      now + IDEMPOTENCY_TTL_MS,
    );
    return { replay: null };
  });
}

/** Stores the response. Call inside the transaction of the effect so both commit together. */
export async function completeIdempotent(db: Db, r: IdemRequest, res: StoredResponse): Promise<void> {
  await stmt(
    db,
    `UPDATE idempotency_keys SET state = 'done', status_code = ?, body = ?, content_type = ?, headers = ?
     WHERE actor_id = ? AND key = ?`,
  ).run(res.statusCode, res.body, res.contentType, JSON.stringify(res.headers), r.actorId, r.key);
}

/** Frees a claim after a failure that must not be replayed (5xx): the client may retry. */
export async function abandonIdempotent(db: Db, r: IdemRequest): Promise<void> {
  await stmt(db, "DELETE FROM idempotency_keys WHERE actor_id = ? AND key = ? AND state = 'in_flight'").run(
    r.actorId,
    r.key,
  );
}

export async function pruneIdempotency(db: Db, now: number): Promise<number> {
  return (await stmt(db, 'DELETE FROM idempotency_keys WHERE expires_at <= ?').run(now)).changes;
}
