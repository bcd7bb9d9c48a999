import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, ERROR_STATUS, ERROR_TITLES, type ErrorCode, problemFor } from '../../../shared/errors.js';
import { CheckResult } from '../../../shared/schemas.js';
import type { AppContext } from '../../context.js';
import { stmt } from '../../db/open.js';
import { type CheckRunner, ONE_RUN_AT_A_TIME } from '../../ops/checks.js';
import { type AppMetrics, createMetrics } from '../../ops/metrics.js';
import { IntegrityCache, writeProbe } from '../../ops/readiness.js';
import { parseSince, StatsResult, statsSince } from '../../ops/stats.js';
import { clientRequestIdOf } from '../auth.js';
import { PROBLEM_TYPE, sendProblem } from '../problem.js';

/** The code for an error a plugin sent without a body, by its status. */
const EMPTY_ERROR_CODES: Record<number, ErrorCode> = {
  400: 'validation',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * Metrics and request logs for every request of the app: one onSend hook notes the
 * problem code of a refusal (the failure reason), one onResponse hook records the request
 * in the metrics and writes the one log line per request (request id, actor, route, status,
 * duration). Call before the routes are registered.
 */
/** Told of each problem answer: the operation (`post /reservations`), its status and code. */
export type ProblemObserver = (operation: string, status: number, code: string) => void;

export async function installObservability(
  app: FastifyInstance,
  ctx: AppContext,
  onProblem?: ProblemObserver,
): Promise<AppMetrics> {
  const metrics = await createMetrics(ctx, () => ctx.realtime.hub.stats());
  const codes = new WeakMap<FastifyRequest, string>();
  app.addHook('onSend', async (req, reply, payload) => {
    // A plugin that refuses with an empty body (e.g. a plain GET on the WebSocket route)
    // still owes the client a problem+json: errors have one shape here, whoever sends them.
    if (reply.statusCode >= 400 && (payload === undefined || payload === null || payload === '')) {
      const code =
        EMPTY_ERROR_CODES[reply.statusCode] ?? (reply.statusCode >= 500 ? 'internal' : 'validation');
      const body = JSON.stringify(
        problemFor(code, `${req.method} ${req.url.split('?')[0]}: ${ERROR_TITLES[code]}`),
      );
      reply.type(PROBLEM_TYPE).code(ERROR_STATUS[code]);
      codes.set(req, code);
      return body;
    }
    if (reply.statusCode >= 400 && typeof payload === 'string') {
      const m = /"code":"([a-z_]{1,40})"/.exec(payload.slice(0, 4096));
      if (m) codes.set(req, m[1]);
    }
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const seconds = reply.elapsedTime / 1000;
    const route = req.routeOptions.url;
    metrics.observeRequest({
      method: req.method,
      route,
      status: reply.statusCode,
      seconds,
      replayed: reply.getHeader('idempotent-replayed') === 'true',
      problemCode: codes.get(req),
    });
    const code = codes.get(req);
    if (onProblem && route && code && reply.statusCode >= 400)
      onProblem(
        `${req.method.toLowerCase()} ${route.replace(/:([A-Za-z_][\w-]*)/g, '{$1}')}`,
        reply.statusCode,
        code,
      );
    const level = reply.statusCode >= 500 ? 'error' : 'info';
    req.log[level](
      {
        actor: req.principal ? { id: req.actor?.id, role: req.principal.role } : undefined,
        ...(clientRequestIdOf(req) ? { clientRequestId: clientRequestIdOf(req) } : {}),
        method: req.method,
        route: route ?? null,
        url: loggedPath(req),
        status: reply.statusCode,
        code: codes.get(req),
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request completed',
    );
  });
  app.addHook('onClose', async () => metrics.stop());
  return metrics;
}

/**
 * The path as logged: a path parameter that is a capability (`DELETE /reservations/{token}`:
 * whoever holds the token can book or release the hold) is replaced by `[redacted]`; the
 * query string (the feed's `?token=`) is never logged.
 */
export function loggedPath(req: FastifyRequest): string {
  let path = req.url.split('?')[0];
  const params = (req.params ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(params))
    if (/token/i.test(k) && typeof v === 'string' && v !== '')
      path = path.split(encodeURIComponent(v)).join('[redacted]').split(v).join('[redacted]');
  return path;
}

const Problem = Type.Ref('Problem');

/**
 * Graceful shutdown, the request side: once close() starts, requests already in progress
 * finish normally and go out with `Connection: close`; a request that still arrives on a
 * kept-alive connection gets a 503 problem+json `unavailable` (with Retry-After) instead of
 * the framework's plain JSON; new connections are refused because the listener is closed.
 * Requires forceCloseConnections off (in-flight requests are not cut) and
 * return503OnClosing off (this hook answers instead).
 */
export function installShutdownGate(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_req, reply) => {
    if (!closing) return;
    reply.header('connection', 'close').header('retry-after', '2');
    return sendProblem(reply, 'unavailable', 'the server is shutting down; retry shortly');
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
}

export const opsRoutes =
  (
    ctx: AppContext,
    health: { jobsRunning: () => boolean; metrics?: AppMetrics; checks: CheckRunner },
  ): FastifyPluginAsyncTypebox =>
  async (app) => {
    const metrics = health.metrics;
    const checks = health.checks;
    // PRAGMA quick_check, started with the server, re-run in the background when older than a minute
    const integrity = new IntegrityCache(() => checks.quickCheck(), 60_000);
    app.addHook('onReady', async () => {
      void integrity.refresh();
    });
    if (metrics)
      app.get(
        '/metrics',
        {
          schema: {
            tags: ['ops'],
            summary: 'Prometheus metrics (text exposition format)',
            produces: ['text/plain'],
          },
        },
        async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()),
      );
    app.get(
      '/admin/stats',
      {
        config: { access: ['admin', 'support'] },
        schema: {
          tags: ['admin'],
          summary: 'Operational figures since a time (the numbers behind `appt stats`)',
          description:
            'since: an ISO 8601 instant or a span back from now like 7d, 24h, 90m, 2w (default 7d).',
          querystring: Type.Object(
            { since: Type.Optional(Type.String({ maxLength: 40 })) },
            { additionalProperties: false },
          ),
          response: { 200: StatsResult, 400: Problem, 401: Problem, 403: Problem },
        },
      },
      async (req) => {
        const now = ctx.clock.now();
        const since = parseSince(req.query.since ?? '7d', now);
        if (since === null)
          throw new AppError('validation', 'since must be an ISO 8601 instant or a span like 7d, 24h, 90m');
        return await statsSince(ctx.db, since, now);
      },
    );
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['ops'],
          summary: 'Process up',
          response: { 200: Type.Object({ ok: Type.Boolean() }) },
        },
      },
      async () => ({ ok: true }),
    );
    const Ready = Type.Object({ ok: Type.Boolean(), checks: Type.Record(Type.String(), Type.Boolean()) });
    app.get(
      '/readyz',
      {
        schema: {
          tags: ['ops'],
          summary: 'Database writable and intact, migrations applied, jobs running',
          description: [
            '`checks.database`: a write transaction that really writes (SQLite rewrites its header’s',
            'user_version with the same value, through the WAL and fsync; PostgreSQL commits a transaction',
            'with an id), so a disk or database that refuses writes is not ready.',
            '`checks.integrity` (SQLite only; PostgreSQL has no such check and leaves it out):',
            '`PRAGMA quick_check`, run when the server starts, then again in the background when the last',
            'result is more than 60 s old (this answer uses the last result); `?full=1` waits for a new run.',
            'The first request after start-up waits for the start-up run. A damaged file stays not ready.',
          ].join(' '),
          querystring: Type.Object(
            { full: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('0')])) },
            { additionalProperties: false },
          ),
          response: { 200: Ready, 503: Ready },
        },
      },
      async (req, reply) => {
        const checks: Record<string, boolean> = {};
        try {
          await writeProbe(ctx.db);
          checks.database = true;
        } catch (err) {
          req.log.warn({ err }, 'readyz: the database refused a write');
          checks.database = false;
        }
        const quick = await integrity.get({ fresh: req.query.full === '1' });
        if (quick) {
          checks.integrity = quick.ok;
          if (!quick.ok) req.log.error({ detail: quick.detail }, 'readyz: the database file is damaged');
        }
        try {
          // drizzle's table on SQLite, server/db/pg-migrate.ts's own on PostgreSQL
          const table = ctx.db.dialect === 'pg' ? 'appt_migrations' : '__drizzle_migrations';
          checks.migrations = Boolean(await stmt(ctx.db, `SELECT 1 FROM ${table} LIMIT 1`).get());
        } catch {
          checks.migrations = false;
        }
        checks.jobs = !ctx.config.jobs || health.jobsRunning();
        const ok = Object.values(checks).every(Boolean);
        return reply.code(ok ? 200 : 503).send({ ok, checks });
      },
    );
    app.get(
      '/admin/check',
      {
        config: { access: ['admin'] },
        schema: {
          tags: ['admin'],
          summary: 'Integrity check, invariant checker and audit-chain verification',
          description: `SQLite's PRAGMA integrity_check first (a damaged file is the one problem, kind \`integrity\`; skipped on PostgreSQL), then the invariants and the audit chains. ${ONE_RUN_AT_A_TIME}`,
          response: {
            200: CheckResult,
            401: Problem,
            403: Problem,
            409: Type.Ref('Problem', {
              description: 'check_in_progress: another check or verify is running',
            }),
          },
        },
      },
      async () => await checks.runAdmin({ kind: 'check', now: ctx.clock.now(), holdGraceMs: 5_000 }),
    );
  };
