import { createRequire } from 'node:module';

/** HTTP helpers of the bench and soak scripts: JSON calls and bounded autocannon runs. */

export interface ApiResult {
  status: number;
  json: any;
  text: string;
  headers: Headers;
  ms: number;
}

/** JSON over fetch with a bearer token; network errors propagate. */
export async function api(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<ApiResult> {
  const t0 = performance.now();
  const r = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await r.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text, headers: r.headers, ms: performance.now() - t0 };
}

/** Fails loudly when a set-up call does not return the expected status. */
export async function must(p: Promise<ApiResult>, status = 200): Promise<any> {
  const r = await p;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${r.text.slice(0, 500)}`);
  return r.json;
}

export interface CannonRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: any, context: any) => any;
  onResponse?: (status: number, body: string, context: any, headers: any) => void;
}
export interface CannonResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** seconds the run took */
  seconds: number;
  /** responses by status code */
  codes: Record<string, number>;
}

/** autocannon is untyped here; loaded through require so no ambient declaration is needed. */
const require = createRequire(import.meta.url);

/**
 * One bounded autocannon run against 127.0.0.1: for `seconds`, or for exactly `amount`
 * requests (then `seconds` is not used; each request still has a 10 s timeout).
 */
export function cannon(
  url: string,
  o: { seconds: number; connections?: number; requests: CannonRequest[]; amount?: number },
): Promise<CannonResult> {
  const autocannon = require('autocannon');
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: o.connections ?? 10,
        ...(o.amount ? { amount: o.amount } : { duration: o.seconds }),
        requests: o.requests,
        timeout: 10,
      },
      (err: Error | null, r: any) => {
        if (err) return reject(err);
        const seconds = r.duration as number;
        resolve({
          // an amount-bounded run ends mid-second: count over the time it took
          rps: o.amount ? r.requests.total / seconds : r.requests.average,
          seconds,
          p50: r.latency.p50,
          p99: r.latency.p99,
          total: r.requests.total,
          ok: r['2xx'],
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          codes: Object.fromEntries(
            Object.entries((r.statusCodeStats ?? {}) as Record<string, { count: number }>).map(([k, v]) => [
              k,
              v.count,
            ]),
          ),
        });
      },
    );
  });
}

/** Runs `fn` over `items` with at most `n` in flight. */
export async function pool<T, R>(items: T[], n: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `--name <number>` from the command line, or `def`. */
export function arg(name: string, def: number, argv = process.argv): number {
  const i = argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) ? v : def;
}

/** `--name <text>` from the command line, or undefined. */
export function strArg(name: string, argv = process.argv): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : undefined;
}
