import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Validators for the read routes clients poll (RFC 9110 §8.8, §13.1.2): a strong ETag that
 * changes whenever the body changes, and 304 Not Modified when If-None-Match names it.
 * Computed from the payload in one onSend hook, so the handlers stay as they are.
 *
 * - `GET /appointments/{id}`: `"<version>-<digest>"`. The handler's `"<version>"` keeps
 *   its meaning (If-Match on reschedule/cancel is matched on it) and the digest follows
 *   everything else the body shows: notification status, audit lines, policy.
 * - the day view and the ICS feed: `"<digest>"`; the feed also gets Last-Modified (its
 *   newest DTSTAMP, which is the newest appointment change).
 * - `GET /users/{id}/appointments` sets its own, known before the page is read
 *   (`userListTag`, server/appointments/read.ts), and answers its own 304s.
 */
export const VALIDATED_ROUTES = new Set([
  '/appointments/:id',
  '/appointments',
  '/providers/:providerId/calendar.ics',
]);

function digest(payload: string | Buffer): string {
  return createHash('sha256').update(payload).digest('base64url').slice(0, 22);
}

/** If-None-Match uses the weak comparison (§13.1.2): W/ is ignored; `*` matches any. */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || opaque(t) === opaque(etag));
}

/** `20300120T150000Z` lines in an iCalendar body → the newest as an HTTP date */
function newestStamp(ics: string): string | undefined {
  let newest = '';
  for (const m of ics.matchAll(/^DTSTAMP:(\d{8}T\d{6}Z)\r?$/gm)) if (m[1] > newest) newest = m[1];
  if (!newest) return undefined;
  const iso = `${newest.slice(0, 4)}-${newest.slice(4, 6)}-${newest.slice(6, 8)}T${newest.slice(9, 11)}:${newest.slice(11, 13)}:${newest.slice(13, 15)}Z`;
  return new Date(iso).toUTCString();
}

export function installValidators(app: FastifyInstance): void {
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || reply.statusCode !== 200) return payload;
    const route = req.routeOptions.url;
    if (!route || !VALIDATED_ROUTES.has(route)) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    const version = /^"(\d+)"$/.exec(String(reply.getHeader('etag') ?? ''))?.[1];
    const etag = `"${version ? `${version}-` : ''}${digest(payload)}"`;
    reply.header('etag', etag);
    if (route.endsWith('.ics')) {
      const stamp = newestStamp(payload.toString());
      if (stamp) reply.header('last-modified', stamp);
    }
    const inm = req.headers['if-none-match'];
    if (noneMatch(inm, etag)) {
      reply.code(304);
      reply.removeHeader('content-type');
      reply.removeHeader('content-length');
      return '';
    }
    // If-Modified-Since only counts without If-None-Match (§13.1.3)
    const ims = req.headers['if-modified-since'];
    const lm = reply.getHeader('last-modified');
    if (inm === undefined && ims && lm && Date.parse(String(lm)) <= Date.parse(ims)) {
      reply.code(304);
      reply.removeHeader('content-type');
      reply.removeHeader('content-length');
      return '';
    }
    return payload;
  });
}
