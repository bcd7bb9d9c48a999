import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import { type Db, isConstraintError, stmt } from '../db/open.js';

/**
 * Stripe-style webhook signatures, used both ways: outbound SMS/push webhooks are signed
 * with them and inbound ones are checked with them.
 * Header: `Appt-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
 */
export const SIGNATURE_HEADER = 'appt-signature';
export const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

export function hmacHex(secret: string, t: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
}

/** The header value for a body signed at `nowMs`. */
export function signatureHeader(secret: string, rawBody: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${hmacHex(secret, t, rawBody)}`;
}

export interface ParsedSignature {
  t: number;
  v1: string[];
}

export function parseSignature(header: string | undefined): ParsedSignature | null {
  if (!header) return null;
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/i.test(v)) v1.push(v.toLowerCase());
  }
  return t === null || v1.length === 0 ? null : { t, v1 };
}

/**
 * Checks a signature over the raw body and returns the matching v1 value.
 * The order matters: a wrong signature is `bad_signature` whatever its age (an attacker
 * learns nothing about timing), a right but old one is `stale_signature`.
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  rawBody: string,
  now: number,
): string {
  const sig = parseSignature(header);
  if (!sig) throw new AppError('bad_signature', 'Appt-Signature header missing or malformed');
  const expected = Buffer.from(hmacHex(secret, sig.t, rawBody), 'hex');
  const match = sig.v1.find((v) => {
    const got = Buffer.from(v, 'hex');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
  if (!match) throw new AppError('bad_signature', 'signature does not match the body');
  if (Math.abs(now - sig.t * 1000) > SIGNATURE_TOLERANCE_MS)
    throw new AppError('stale_signature', 'signature timestamp is more than 5 minutes away from now');
  return match;
}

/**
 * Remembers a signature; a second delivery of the same one is a replay (409 `replayed`).
 * Kept a little longer than the tolerance window, after which a stale timestamp rejects it anyway.
 */
export async function rememberSignature(db: Db, signature: string, now: number): Promise<void> {
  try {
    await stmt(db, 'INSERT INTO webhook_signatures (signature, received_at) VALUES (?, ?)').run(
      signature,
      now,
    );
  } catch (e) {
    if (isConstraintError(e)) throw new AppError('replayed', 'this signature was already received');
    throw e;
  }
}

/**
 * Kept 25 minutes: past both windows that accept a timestamp (webhooks ±5 min, the Pusher
 * API ±600 s, counted from a timestamp that may itself be up to that far ahead).
 */
export const SIGNATURE_MEMORY_MS = 25 * 60_000;

export async function pruneSignatures(db: Db, now: number): Promise<number> {
  return (
    await stmt(db, 'DELETE FROM webhook_signatures WHERE received_at < ?').run(now - SIGNATURE_MEMORY_MS)
  ).changes;
}
