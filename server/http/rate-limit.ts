import type { FastifyInstance } from 'fastify';
import { AppError } from '../../shared/errors.js';
import type { AppContext } from '../context.js';

/**
 * Per-token limits on mutations (fixed one-minute windows): `user` tokens get
 * APPT_RATE_LIMIT_USER per minute, staff/admin APPT_RATE_LIMIT_STAFF, 0 = off.
 * 429 problem+json with Retry-After; other tokens keep being served.
 */
export function installRateLimits(app: FastifyInstance, ctx: AppContext): void {
  const windows = new Map<string, { n: number; reset: number }>();
  app.addHook('preHandler', async (req) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    const p = req.principal;
    if (!p) return;
    const max = p.role === 'user' ? ctx.config.rateLimitUser : ctx.config.rateLimitStaff;
    if (max === 0) return;
    const t = Date.now();
    if (windows.size > 50_000) for (const [k, v] of windows) if (v.reset <= t) windows.delete(k);
    let w = windows.get(p.tokenId);
    if (!w || w.reset <= t) windows.set(p.tokenId, (w = { n: 0, reset: t + 60_000 }));
    w.n++;
    if (w.n > max) {
      throw new AppError('rate_limited', `more than ${max} changes a minute for this token`, {
        retryAfter: Math.ceil((w.reset - t) / 1000),
      });
    }
  });
}
