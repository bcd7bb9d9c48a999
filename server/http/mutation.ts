import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { auditRejection } from '../appointments/rejections.js';
import type { WriteMeta } from '../appointments/write.js';
import type { AppContext } from '../context.js';
import {
  fingerprint,
  type IdemRequest,
  inFlight,
  keyLock,
  type StoredResponse,
  storedResponse,
  storeResponse,
} from '../idempotency/idempotency.js';
import { write, type WriteScope } from '../outbox/write.js';
import { PROBLEM_TYPE, problemBody } from './problem.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export interface MutationSpec<T> {
  /** Idempotency-Key required (400 when missing) or optional */
  keyRequired: boolean;
  status: number;
  /** audit action for refused attempts (book / reschedule / cancel); none for holds */
  auditAs?: string;
  appointmentId?: string;
  run: (w: WriteScope, meta: WriteMeta) => Promise<T>;
  headers?: (result: T) => Record<string, string>;
}

function idemKey(req: FastifyRequest): string | undefined {
  // Node joins a repeated header into one value ("a, b"): it is then simply another key.
  const header = req.headers['idempotency-key'] as string | undefined;
  const body = (req.body as { idempotencyKey?: unknown } | undefined)?.idempotencyKey;
  if (header !== undefined && header.length > 255)
    throw new AppError('validation', 'Idempotency-Key is longer than 255 characters');
  if (header !== undefined && body !== undefined && header !== body)
    throw new AppError('validation', 'Idempotency-Key header and body idempotencyKey differ');
  const key = header ?? (typeof body === 'string' ? body : undefined);
  return key === '' ? undefined : key;
}

/**
 * If-Match per RFC 9110 §13.1.1, strong comparison: `*` matches the existing appointment
 * (no version check); otherwise a comma list of entity tags, of which any may match. A
 * weak tag (`W/"3"`) never matches, so a list of weak tags only is always 412. Tags are the
 * ETag of `GET /appointments/{id}` (`"<version>-<digest>"`) or the bare `"<version>"` of a
 * write's answer; both are matched on their version, so a tag stays valid while only the
 * delivery status or the audit lines of the appointment changed. Returns the versions to
 * accept (empty: none can match), undefined when there is no precondition.
 */
export function parseIfMatch(req: FastifyRequest): number[] | undefined {
  const h = req.headers['if-match'];
  if (h === undefined) return undefined;
  const value = String(h).trim();
  if (value === '*') return undefined;
  const versions: number[] = [];
  for (const raw of value.split(',')) {
    const tag = raw.trim();
    if (tag === '') continue;
    // a bare number is what older clients sent: read it as the quoted tag it meant
    const m = /^(W\/)?(?:"(\d{1,9})(?:-[A-Za-z0-9_-]{1,64})?"|(\d{1,9}))$/.exec(tag);
    if (!m) throw new AppError('validation', 'If-Match must be entity tags like "3" (or *)');
    if (!m[1]) versions.push(Number(m[2] ?? m[3]));
  }
  return versions;
}

/** Keys being processed by this process now: a second request with one of them is 409 at once. */
const running = new Set<string>();

/**
 * The write path of every mutating route, in the design's order of checks:
 * auth (hook) → idempotency lookup (a stored response is replayed before anything else)
 * → If-Match and the domain, in one transaction that also stores the response — one
 * durable commit for a keyed request, as for an unkeyed one. A refusal is stored (with its
 * audit entry) in a transaction of its own, after the change's rolled back.
 */
export async function runMutation<T>(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  spec: MutationSpec<T>,
) {
  const key = idemKey(req);
  if (!key && spec.keyRequired)
    throw new AppError(
      'idempotency_key_missing',
      'this request needs an Idempotency-Key header (or idempotencyKey in the body)',
    );
  const idem: IdemRequest | null = key
    ? {
        actorId: req.actor.id,
        key,
        method: req.method,
        route: req.routeOptions.url ?? req.url,
        fingerprint: fingerprint(req.method, req.url.split('?')[0], req.body),
      }
    : null;
  const replay = (stored: StoredResponse) => {
    reply.header('idempotent-replayed', 'true');
    for (const [h, v] of Object.entries(stored.headers)) reply.header(h, v);
    return reply.code(stored.statusCode).type(stored.contentType).send(stored.body);
  };
  // the common retry: answered from a plain read, no write transaction
  const earlier = idem ? await storedResponse(ctx.db, idem, ctx.clock.now()) : null;
  if (earlier) return replay(earlier);
  const slot = idem ? `${idem.actorId}\n${idem.key}` : null;
  if (slot) {
    if (running.has(slot)) throw inFlight();
    running.add(slot);
  }
  try {
    return await runOnce(ctx, req, reply, spec, idem, key, replay);
  } finally {
    if (slot) running.delete(slot);
  }
}

async function runOnce<T>(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  spec: MutationSpec<T>,
  idem: IdemRequest | null,
  key: string | undefined,
  replay: (stored: StoredResponse) => FastifyReply,
) {
  const meta: WriteMeta = { idempotencyKey: key, ifMatch: undefined };
  try {
    meta.ifMatch = parseIfMatch(req);
    let headers: Record<string, string> = {};
    const out = await write(ctx, async (w) => {
      if (idem) {
        // another process may have run this key meanwhile: under the key's lock, look again
        await w.db.lock(keyLock(idem));
        const stored = await storedResponse(w.db, idem, w.now);
        if (stored) return { stored };
      }
      const result = await spec.run(w, meta);
      const text = JSON.stringify(result);
      headers = spec.headers?.(result) ?? {};
      if (idem)
        await storeResponse(
          w.db,
          idem,
          { statusCode: spec.status, body: text, contentType: JSON_TYPE, headers },
          w.now,
        );
      return { text };
    });
    if (out.stored) return replay(out.stored);
    for (const [h, v] of Object.entries(headers)) reply.header(h, v);
    return reply.code(spec.status).type(JSON_TYPE).send(out.text);
  } catch (err) {
    if (err instanceof AppError) {
      const text = problemBody(err);
      await write(ctx, async (w) => {
        if (spec.auditAs)
          await auditRejection(w.db, w, req.actor, spec.auditAs, spec.appointmentId ?? null, err, meta);
        if (idem)
          await storeResponse(
            w.db,
            idem,
            { statusCode: err.status, body: text, contentType: PROBLEM_TYPE, headers: {} },
            w.now,
          );
      });
      return reply.code(err.status).type(PROBLEM_TYPE).send(text);
    }
    // a failure that must not be replayed (5xx): nothing was stored, the client may retry
    throw err;
  }
}
