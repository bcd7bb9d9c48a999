import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, problemFor } from '../../shared/errors.js';
import type { RouteMethods } from './protocol.js';

export const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

export function sendProblem(
  reply: FastifyReply,
  code: ErrorCode,
  detail: string,
  extra?: Record<string, unknown>,
) {
  const body = problemFor(code, detail, extra);
  return reply.code(body.status).type(PROBLEM_TYPE).send(JSON.stringify(body));
}

export function problemBody(err: AppError): string {
  return JSON.stringify(problemFor(err.code, err.message, err.extra));
}

/** One place turns every failure into RFC 9457 problem+json; 5xx never leaks internals. */
export function installErrorHandling(app: FastifyInstance, routes?: RouteMethods): void {
  app.setErrorHandler((err: FastifyError | AppError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) {
      // RFC 6750 §3: a 401 names the scheme the client should use
      if (err.code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="appt"');
      if (err.code === 'rate_limited' && err.extra?.retryAfter)
        reply.header('retry-after', String(err.extra.retryAfter));
      const { retryAfter: _r, ...extra } = err.extra ?? {};
      return sendProblem(reply, err.code, err.message, extra);
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const where = fe.validationContext ?? 'request';
      const first = fe.validation[0];
      const path = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
      const detail = `${where}${path ? `.${path}` : ''} ${first?.message ?? 'is invalid'}${
        first?.keyword === 'additionalProperties'
          ? `: ${(first.params as { additionalProperty?: string }).additionalProperty}`
          : ''
      }`;
      return sendProblem(reply, 'validation', detail);
    }
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendProblem(reply, 'payload_too_large', 'request body too large');
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return sendProblem(
        reply,
        'unsupported_media_type',
        `unsupported content type ${JSON.stringify(req.headers['content-type'] ?? '')}`,
      );
    // PostgreSQL text cannot hold NUL: a value with \u0000 (a fuzzed path id, say) is refused
    // by the server as 22021 — the client's mistake, not ours (SQLite stores or misses it)
    if ((err as { code?: unknown }).code === '22021')
      return sendProblem(reply, 'validation', 'text may not contain a NUL character (\\u0000)');
    if (fe.statusCode === 429) return sendProblem(reply, 'rate_limited', fe.message || 'too many requests');
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
      return sendProblem(reply, 'validation', fe.message || 'bad request');
    req.log.error({ err }, 'unhandled error');
    return sendProblem(reply, 'internal', 'internal error; see the server log for request ' + req.id);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const allow = routes?.allowed(path) ?? [];
    if (allow.length && !allow.includes(req.method)) {
      reply.header('allow', allow.join(', '));
      return sendProblem(
        reply,
        'method_not_allowed',
        `${req.method} is not allowed on ${path}; use ${allow.join(', ')}`,
      );
    }
    return sendProblem(reply, 'not_found', `no route ${req.method} ${path}`);
  });
}
