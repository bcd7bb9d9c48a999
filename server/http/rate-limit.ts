import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import type { AppContext } from '../context.js';
import { pgRateLimitStore } from './shared-limits.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * POSTs that change nothing: pusher-js signs each private-channel subscription here and
 * treats anything but 200 as a refusal, so a reconnect must never meet a 429.
 */
const NOT_CHANGES = new Set(['/realtime/auth']);

/** The per-minute budget of changes for the request's token; 0 = unlimited. */
export function mutationLimit(ctx: AppContext, req: FastifyRequest): number {
  const p = req.principal;
  if (!p || READS.has(req.method) || NOT_CHANGES.has(req.routeOptions.url ?? '')) return 0;
  return p.role === 'user' ? ctx.config.rateLimitUser : ctx.config.rateLimitStaff;
}

/**
 * Per-token limits on mutations (DESIGN §3), one-minute windows kept by @fastify/rate-limit
 * (in this process on SQLite; on PostgreSQL in a table every process shares, so the limit
 * holds for the cluster): `user` tokens get APPT_RATE_LIMIT_USER a minute, staff and admin
 * APPT_RATE_LIMIT_STAFF (60,000 by default, so bulk runs are not throttled); 0 = off.
 * Reads, open and signed routes are not limited here (failed authentications are braked
 * per IP in the auth hook). The key is the token id, so one noisy token never slows down
 * another. A refusal is 429 problem+json `rate_limited` with Retry-After; every limited
 * response also carries x-ratelimit-limit / -remaining / -reset.
 *
 * Runs as a preHandler: after authentication (the key needs the token) and after body
 * validation, so a malformed request is a 400 and does not spend the budget.
 */
export function installRateLimits(app: FastifyInstance, ctx: AppContext): void {
  if (ctx.config.rateLimitUser === 0 && ctx.config.rateLimitStaff === 0) return;
  // Not awaited on purpose: fastify loads registered plugins in order before the next
  // awaited register, so this plugin's onRoute hook sees every route registered after it.
  void app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    timeWindow: 60_000,
    // tokens seen within one window; an evicted token starts a fresh window
    cache: 20_000,
    // on PostgreSQL the budget is the cluster's, counted in the database (shared-limits.ts)
    ...(ctx.db.dialect === 'pg' ? { store: pgRateLimitStore(ctx.db) } : {}),
    keyGenerator: (req) => `token:${req.principal?.tokenId ?? req.ip}`,
    allowList: (req) => mutationLimit(ctx, req) === 0,
    max: (req) => mutationLimit(ctx, req),
    errorResponseBuilder: (_req, c) =>
      new AppError(
        'rate_limited',
        `more than ${c.max} changes a minute for this token; retry in ${c.after}`,
        {
          retryAfter: Math.max(1, Math.ceil(c.ttl / 1000)),
        },
      ),
  });
}
