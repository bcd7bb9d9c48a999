import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { type ErrorCode, problemFor } from '../../shared/errors.js';

/**
 * Which methods each route path answers, collected as routes are added, so a wrong method
 * on a known path is `405 method_not_allowed` with `Allow` (RFC 9110 §15.5.6) instead of
 * a 404 that says the resource does not exist.
 */
export class RouteMethods {
  private readonly routes: { pattern: RegExp; methods: Set<string> }[] = [];
  private readonly byUrl = new Map<string, Set<string>>();

  add(url: string, methods: string | string[]): void {
    // the CORS plugin's catch-all OPTIONS route matches every path: it says nothing about one
    if (url === '*' || url === '/*') return;
    let set = this.byUrl.get(url);
    if (!set) {
      set = new Set();
      this.byUrl.set(url, set);
      const source = url
        .split(/(:[A-Za-z_][\w-]*|\*)/)
        .map((part) =>
          part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join('');
      this.routes.push({ pattern: new RegExp(`^${source}/?$`), methods: set });
    }
    for (const m of Array.isArray(methods) ? methods : [methods]) set.add(m.toUpperCase());
    if (set.has('GET')) set.add('HEAD');
  }

  /** The methods the path answers (sorted), empty when no route has this path. */
  allowed(path: string): string[] {
    const out = new Set<string>();
    for (const r of this.routes) if (r.pattern.test(path)) for (const m of r.methods) out.add(m);
    return [...out].sort();
  }
}

/** Registers the onRoute hook that fills `methods`; call before any route is added. */
export function collectRouteMethods(app: FastifyInstance): RouteMethods {
  const methods = new RouteMethods();
  app.addHook('onRoute', (route) => methods.add(route.url, route.method));
  return methods;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * Errors Node's HTTP parser raises before a request exists (a client too slow to send its
 * headers or body, headers over the limit, malformed HTTP) answered as problem+json like
 * every other error, then the connection is closed (the stream is in an unknown state).
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? 'request_timeout'
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? 'headers_too_large'
        : 'validation';
  const detail =
    code === 'request_timeout'
      ? 'the request was not received in time'
      : code === 'headers_too_large'
        ? 'the request headers are too large'
        : 'the request is not valid HTTP';
  const problem = problemFor(code, detail);
  const body = JSON.stringify(problem);
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${problem.status} ${REASONS[problem.status]}\r\n` +
        'Content-Type: application/problem+json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  socket.destroy();
}
