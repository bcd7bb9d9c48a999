import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** Request headers a browser client may send beyond the CORS-safelisted ones. */
const ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'idempotency-key',
  'if-match',
  'if-none-match',
  'x-request-id',
  'appt-channel',
];
/** Response headers a browser script may read (they carry the API's contract). */
const EXPOSED_HEADERS = [
  'etag',
  'last-modified',
  'idempotent-replayed',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-request-id',
  'location',
];

/**
 * CORS for browser integrations: off unless `APPT_CORS_ORIGINS` lists origins (or `*`).
 * Registered before authentication so a preflight, which never carries the bearer token,
 * is answered by the CORS hook instead of being refused with 401. No credentials mode:
 * the API authenticates with bearer tokens, never cookies.
 */
export async function installCors(app: FastifyInstance, origins: string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600,
    strictPreflight: true,
  });
}
