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
 * Looks a key up (a plain read): same key + same request → the stored response (replayed
 * byte for byte); + another request → 422; a claim still in flight (left by another
 * process, or by a server version that claimed keys in a transaction of their own) → 409.
 * Null when the request is to run. Called before the change's transaction, and again inside
 * it, where the key lock makes the second look authoritative.
 */
export async function storedResponse(db: Db, r: IdemRequest, now: number): Promise<StoredResponse | null> {
  const row = await stmt<KeyRow>(db, 'SELECT * FROM idempotency_keys WHERE actor_id = ? AND key = ?').get(
    r.actorId,
    r.key,
  );
  if (!row || row.expires_at <= now) return null;
  if (row.fingerprint !== r.fingerprint)
    throw new AppError(
      'idempotency_key_reused',
      'this Idempotency-Key was used with a different request; use a new key for a new request',
    );
  if (row.state === 'done')
    return {
      statusCode: row.status_code!,
      body: row.body ?? '',
      contentType: row.content_type ?? 'application/json; charset=utf-8',
      headers: row.headers ? JSON.parse(row.headers) : {},
    };
  if (row.locked_until > now) throw inFlight();
  return null; // a lapsed claim of a crashed process: taken over
}

export function inFlight(): AppError {
  return new AppError(
    'idempotency_in_flight',
    'a request with this Idempotency-Key is still being processed; retry shortly',
  );
}

/** The name of the lock that serializes requests under one key (across processes on PostgreSQL). */
export function keyLock(r: IdemRequest): string {
  return `idem:${r.actorId}:${r.key}`;
}

/**
 * Stores the response under the key. Called inside the transaction of the change (or of the
 * refusal's audit entry), so the effect and its stored answer commit together — one durable
 * commit per keyed request, and a crash leaves no claim behind to wait out.
 */
export async function storeResponse(db: Db, r: IdemRequest, res: StoredResponse, now: number): Promise<void> {
  await stmt(
    db,
    `INSERT INTO idempotency_keys (actor_id, key, method, route, fingerprint, state, status_code, body, content_type,
       headers, created_at, locked_until, expires_at)
     VALUES (?, ?, ?, ?, ?, 'done', ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (actor_id, key) DO UPDATE SET method = excluded.method, route = excluded.route,
       fingerprint = excluded.fingerprint, state = 'done', status_code = excluded.status_code, body = excluded.body,
       content_type = excluded.content_type, headers = excluded.headers, created_at = excluded.created_at,
       locked_until = excluded.locked_until, expires_at = excluded.expires_at`,
  ).run(
    r.actorId,
    r.key,
    r.method,
    r.route,
    r.fingerprint,
    res.statusCode,
    res.body,
    res.contentType,
    JSON.stringify(res.headers),
    now,
    now,
    now + IDEMPOTENCY_TTL_MS,
  );
}

export async function pruneIdempotency(db: Db, now: number): Promise<number> {
  return (await stmt(db, 'DELETE FROM idempotency_keys WHERE expires_at <= ?').run(now)).changes;
}
