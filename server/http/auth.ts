import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../shared/errors.js';
import type { Role } from '../../shared/schemas.js';
import type { Actor, Channel } from '../audit/audit.js';
import { actorOf, authenticate, type Principal } from '../auth/tokens.js';
import type { AppContext } from '../context.js';
import { authBrake } from './shared-limits.js';

/** Route access: 'open' (no token), 'signed' (webhook signature, checked by the route), or roles. */
export type Access = 'open' | 'signed' | 'any' | Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
    actor: Actor;
  }
}

const CHANNELS: Channel[] = ['api', 'cli', 'tui', 'bulk'];

/** The X-Request-Id a client sent, when it is a plausible id (word characters, dots, dashes; ≤ 64). */
export function clientRequestIdOf(req: FastifyRequest): string | undefined {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : undefined;
}

export function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : null;
}

/**
 * Authenticates every request whose route declares access other than open/signed, and
 * builds the actor (who, which channel, which request) the domain records.
 */
export const authPlugin = fp(async (app: FastifyInstance, opts: { ctx: AppContext }) => {
  const { ctx } = opts;
  // failed authentications are limited per address (a token guessing brake), across
  // processes on PostgreSQL
  const brake = authBrake(ctx);
  app.decorateRequest('principal', null);
  app.decorateRequest('actor', null as unknown as Actor);
  app.addHook('onRequest', async (req) => {
    const access = req.routeOptions.config?.access ?? 'open';
    if (access === 'open' || access === 'signed') return;
    const token = bearer(req);
    const p = token ? await authenticate(ctx.db, token, ctx.clock.now()) : null;
    if (!p) {
      // The brake slows down guessing from one address, and only guessing: a request whose
      // token is valid is never refused for other requests' failures (behind a proxy every
      // client shares one address).
      const blockedFor = await brake.failed(req.ip);
      if (blockedFor !== null)
        throw new AppError('rate_limited', 'too many failed authentications from this address', {
          retryAfter: blockedFor,
        });
      throw new AppError(
        'unauthorized',
        token ? 'token is unknown, revoked or expired' : 'send Authorization: Bearer <token>',
      );
    }
    if (access !== 'any' && !access.includes(p.role))
      throw new AppError('forbidden', `this needs one of the roles: ${access.join(', ')}`);
    const ch = String(req.headers['appt-channel'] ?? 'api') as Channel;
    req.principal = p;
    req.actor = actorOf(p, CHANNELS.includes(ch) ? ch : 'api', req.id, req.ip, clientRequestIdOf(req));
  });
});
