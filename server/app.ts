import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { ProblemSchema } from '../shared/schemas.js';
import type { AppContext } from './context.js';
import { authPlugin } from './http/auth.js';
import { installValidators } from './http/caching.js';
import { collectRouteInfo, truthfulDocument } from './http/openapi.js';
import { installCors } from './http/cors.js';
import { installErrorHandling, sendProblem } from './http/problem.js';
import { clientErrorHandler, collectRouteMethods } from './http/protocol.js';
import { installRateLimits } from './http/rate-limit.js';
import { appointmentRoutes } from './http/routes/appointments.js';
import { calendarRoutes } from './http/routes/calendar.js';
import { catalogRoutes } from './http/routes/catalog.js';
import {
  installObservability,
  installShutdownGate,
  opsRoutes,
  type ProblemObserver,
} from './http/routes/ops.js';
import { reservationRoutes } from './http/routes/reservations.js';
import { staffActionRoutes } from './http/routes/staff-actions.js';
import { webhookRoutes } from './http/routes/webhooks.js';
import { newId } from './ids.js';
import { CheckRunner } from './ops/checks.js';
import { IDEMPOTENCY_TTL_MS } from './idempotency/idempotency.js';
import { realtimePlugin } from './realtime/plugin.js';

export interface AppOptions {
  /** true while background jobs run (for /readyz) */
  jobsRunning?: () => boolean;
  /** told of every problem answer of a route (the test harness checks them against the OpenAPI document) */
  onProblem?: ProblemObserver;
}

/**
 * Builds the whole Fastify app from a context. The test app is the real app: tests call
 * this with an in-memory or temp-file database.
 */
export async function buildApp(ctx: AppContext, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimit,
    // behind a load balancer (docs/deploy.md): req.ip from X-Forwarded-For of trusted hops only
    // (a hop count is accepted at run time; the overload used here types only string/boolean)
    trustProxy: ctx.config.trustProxy as boolean | string,
    // the request id is always the server's own: a client's X-Request-Id is kept beside it
    // (clientRequestIdOf, in the log line and the audit entry), never trusted in its place
    genReqId: () => newId(),
    requestIdHeader: false,
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false },
    },
    // graceful shutdown: in-flight requests finish; late ones get a 503 problem (installShutdownGate)
    forceCloseConnections: false,
    return503OnClosing: false,
    // one log line per request, with actor, route, status and duration (installObservability)
    logController: new LogController({ disableRequestLogging: true }),
    // ids are up to 128 characters; longer path parts and malformed URLs are 400 problems,
    // not the router's own 414/400 JSON (found by the fuzz test)
    routerOptions: { maxParamLength: 512 },
    // 408 (slow client), 431 (huge headers) and malformed HTTP as problem+json too
    clientErrorHandler,
    frameworkErrors: (err, _req, reply) =>
      sendProblem(
        reply,
        'validation',
        err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'the URL is not valid',
      ),
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  installErrorHandling(app, collectRouteMethods(app));
  installValidators(app);
  const routeInfo = collectRouteInfo(app);
  const metrics = await installObservability(app, ctx, opts.onProblem);
  installShutdownGate(app);
  app.addSchema(ProblemSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'appt',
        version: '0.1.0',
        description: [
          'An appointment desk. Errors are RFC 9457 application/problem+json with a stable `code`.',
          `Idempotency: POST /bookings, /reschedule, /cancel and /confirm need an Idempotency-Key (header or body);`,
          `keys are scoped to the token's actor and kept ${IDEMPOTENCY_TTL_MS / 3_600_000} hours. Same key + same request →`,
          'the stored response byte for byte; same key + another request → 422; while in flight → 409.',
          'If-Match: "<version>" on reschedule/cancel → 412 when stale.',
        ].join(' '),
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearer: [] }],
      tags: [
        { name: 'appointments' },
        { name: 'availability' },
        { name: 'reservations' },
        { name: 'catalog' },
        { name: 'admin' },
        { name: 'audit' },
        { name: 'auth' },
        { name: 'calendar' },
        { name: 'realtime' },
        { name: 'webhooks' },
        { name: 'ops' },
      ],
    },
    transformObject: (d) =>
      truthfulDocument('openapiObject' in d ? d.openapiObject : d.swaggerObject, routeInfo),
    refResolver: { buildLocalReference: (json, _base, _frag, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  await installCors(app, ctx.config.corsOrigins);
  await app.register(authPlugin, { ctx });
  installRateLimits(app, ctx);

  // the expensive checks run in worker threads, one admin run at a time (issue 12.5); on
  // close a run still going is cut off (its request gets 503) instead of holding up shutdown
  const checks = new CheckRunner(ctx);
  app.addHook('preClose', async () => await checks.close());
  await app.register(catalogRoutes(ctx, checks));
  await app.register(reservationRoutes(ctx));
  await app.register(appointmentRoutes(ctx));
  await app.register(staffActionRoutes(ctx));
  await app.register(webhookRoutes(ctx));
  await app.register(calendarRoutes(ctx));
  await app.register(opsRoutes(ctx, { jobsRunning: opts.jobsRunning ?? (() => false), metrics, checks }));
  await app.register(realtimePlugin(ctx));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
