import type { Alternative } from './api-types.js';

/** What the API client throws, and the header parsing it needs; no runtime dependencies. */

/** A problem+json answer from the server (any non-2xx). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly alternatives: Alternative[] | undefined;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const code = typeof b.code === 'string' ? b.code : `http_${status}`;
    const detail =
      typeof b.detail === 'string'
        ? b.detail
        : typeof b.title === 'string'
          ? b.title
          : typeof body === 'string' && body
            ? body.slice(0, 200)
            : `HTTP ${status}`;
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.alternatives = Array.isArray(b.alternatives) ? (b.alternatives as Alternative[]) : undefined;
    this.body = body;
  }
}

/** The server could not be reached at all (refused, DNS, reset, timeout): go offline. */
export class OfflineError extends Error {
  constructor(
    readonly url: string,
    readonly cause: unknown,
  ) {
    super(`cannot reach ${url}: ${(cause as Error)?.message || (cause as { code?: string })?.code || cause}`);
    this.name = 'OfflineError';
  }
}

const OFFLINE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export function isOfflineCause(e: unknown): boolean {
  let cur = e as { code?: string; cause?: unknown; errors?: unknown[] } | undefined;
  for (let i = 0; cur && i < 5; i++) {
    if (cur.code && OFFLINE_CODES.has(cur.code)) return true;
    if (Array.isArray(cur.errors) && cur.errors.some(isOfflineCause)) return true;
    cur = cur.cause as typeof cur;
  }
  return false;
}

/** Retry-After is seconds or an HTTP date; returns ms (never negative). */
export function retryAfterMs(h: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined || v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export function etagVersion(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  // "<version>" or "<version>-<digest>" (the detail's ETag changes with the representation)
  const m = v ? /^(?:W\/)?"?(\d+)(?:-[\w-]+)?"?$/.exec(v.trim()) : null;
  return m ? Number(m[1]) : undefined;
}
