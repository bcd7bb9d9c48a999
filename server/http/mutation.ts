import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { auditRejection } from '../appointments/rejections.js';
import type { WriteMeta } from '../appointments/write.js';
import type { AppContext } from '../context.js';
import {
  abandonIdempotent,
  beginIdempotent,
  completeIdempotent,
  fingerprint,
  type IdemRequest,
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

/** If-Match: "3", W/"3" or 3. `*` means any version. */
export function parseIfMatch(req: FastifyRequest): number | undefined {
  const h = req.headers['if-match'];
  if (h === undefined || h === '*') return undefined;
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(String(h).trim());
  if (!m) throw new AppError('validation', 'If-Match must be an ETag like "3"');
  return Number(m[1]);
}

/**
 * The write path of every mutating route, in the design's order of checks:
 * auth (hook) → idempotency lookup (a stored response is replayed before anything else)
 * → If-Match and the domain, in one transaction that also stores the response.
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
  if (idem) {
    const found = await beginIdempotent(ctx.db, idem, ctx.clock.now());
    if (found.replay) {
      reply.header('idempotent-replayed', 'true');
      for (const [h, v] of Object.entries(found.replay.headers)) reply.header(h, v);
      return reply.code(found.replay.statusCode).type(found.replay.contentType).send(found.replay.body);
    }
  }
  const meta: WriteMeta = { idempotencyKey: key, ifMatch: undefined };
  try {
    meta.ifMatch = parseIfMatch(req);
    let headers: Record<string, string> = {};
    const body = await write(ctx, async (w) => {
      const result = await spec.run(w, meta);
      const text = JSON.stringify(result);
      headers = spec.headers?.(result) ?? {};
      if (idem)
        await completeIdempotent(w.db, idem, {
          statusCode: spec.status,
          body: text,
          contentType: JSON_TYPE,
          headers,
        });
      return text;
    });
    for (const [h, v] of Object.entries(headers)) reply.header(h, v);
    return reply.code(spec.status).type(JSON_TYPE).send(body);
  } catch (err) {
    if (err instanceof AppError) {
      const text = problemBody(err);
      await write(ctx, async (w) => {
        if (spec.auditAs)
          await auditRejection(w.db, w, req.actor, spec.auditAs, spec.appointmentId ?? null, err, meta);
        if (idem)
          await completeIdempotent(w.db, idem, {
            statusCode: err.status,
            body: text,
            contentType: PROBLEM_TYPE,
            headers: {},
          });
      });
      return reply.code(err.status).type(PROBLEM_TYPE).send(text);
    }
    if (idem) await abandonIdempotent(ctx.db, idem);
    throw err;
  }
}
