import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Shared pieces of the benchmark and soak scripts: finding the project root, starting the
 * real server (or a baseline) as a separate process, HTTP helpers, autocannon runs and the
 * BENCH_JSON convention that lets `npm run bench` gather every script's figures.
 *
 * Convention: a bench script prints human lines and, as its LAST stdout line,
 * `BENCH_JSON {"name": "...", "figures": [{ "label", "value", "unit", "aim"?, "ok"? }], "notes"?: [] }`.
 */

export interface Figure {
  label: string;
  value: number;
  unit: string;
  /** the aim as text, e.g. ">= 0.7" */
  aim?: string;
  ok?: boolean;
}
export interface BenchReport {
  name: string;
  figures: Figure[];
  notes?: string[];
}
export const BENCH_PREFIX = 'BENCH_JSON ';

export function printBenchJson(r: BenchReport): void {
  process.stdout.write(`${BENCH_PREFIX}${JSON.stringify(r)}\n`);
}

/** The last `BENCH_JSON` line of a script's stdout, or null. */
export function parseBenchJson(stdout: string): BenchReport | null {
  const lines = stdout.split('\n').filter((l) => l.startsWith(BENCH_PREFIX));
  const last = lines[lines.length - 1];
  if (!last) return null;
  try {
    return JSON.parse(last.slice(BENCH_PREFIX.length)) as BenchReport;
  } catch {
    return null;
  }
}

/** The directory holding package.json, found upwards from this file (works from src and dist). */
export function projectRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let d = from;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'bin'))) return d;
    d = dirname(d);
  }
  throw new Error(`project root not found above ${from}`);
}

/** True when the module at `metaUrl` is the script node was started with. */
export function isMain(metaUrl: string): boolean {
  return Boolean(process.argv[1]) && metaUrl === pathToFileURL(process.argv[1]!).href;
}

export interface Proc {
  url: string;
  port: number;
  child: ChildProcess;
  stderr(): string;
  /** signal the process and wait for it to exit */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Every child spawned here that has not exited yet; killed when this process exits. */
const children = new Set<ChildProcess>();
let exitHook = false;

/** SIGKILLs every child still running (servers and baselines); safe to call twice. */
export function killAllChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
}

function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (!exitHook) {
    // installed on first spawn, not at import: a bench or soak never leaves a server behind
    exitHook = true;
    process.once('exit', killAllChildren);
  }
}

/** Spawns a process and waits for its stderr line `listening on http://…`. */
export function spawnListening(
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {},
): Promise<Proc> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  track(child);
  let err = '';
  return new Promise<Proc>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not start within ${opts.timeoutMs ?? 60_000} ms: ${err}`));
    }, opts.timeoutMs ?? 60_000);
    const onExit = (code: number | null) => {
      clearTimeout(t);
      reject(new Error(`process exited ${code} before listening: ${err.slice(-2000)}`));
    };
    child.on('exit', onExit);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.length > 100_000) err = err.slice(-50_000);
      const m = /listening on (http:\/\/[^\s]+)/.exec(err);
      if (m) {
        clearTimeout(t);
        child.off('exit', onExit);
        const url = m[1]!.replace(/\/$/, '');
        resolve({
          url,
          port: Number(new URL(url).port),
          child,
          stderr: () => err,
          stop(signal = 'SIGTERM') {
            return new Promise((res) => {
              if (child.exitCode !== null || child.signalCode !== null) return res(child.exitCode);
              const k = setTimeout(() => child.kill('SIGKILL'), 15_000);
              child.once('exit', (code) => {
                clearTimeout(k);
                res(code);
              });
              child.kill(signal);
            });
          },
        });
      }
    });
  });
}

export interface ServerOptions {
  /** path of bin/appt (another build can be pointed at with --bin) */
  bin?: string;
  dataDir: string;
  port?: number;
  env?: Record<string, string>;
  args?: string[];
}

/** The real server: `node bin/appt serve --port <p> --data-dir <d> --log-level silent`. */
export async function startAppt(o: ServerOptions): Promise<Proc & { adminToken: string }> {
  const bin = o.bin ?? join(projectRoot(), 'bin', 'appt');
  const p = await spawnListening(
    [
      bin,
      'serve',
      '--port',
      String(o.port ?? 0),
      '--data-dir',
      o.dataDir,
      '--log-level',
      'silent',
      ...(o.args ?? []),
    ],
    { ...(o.env ? { env: o.env } : {}) },
  );
  const adminToken = readFileSync(join(o.dataDir, 'admin.token'), 'utf8').trim();
  return Object.assign(p, { adminToken });
}

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
}

/** autocannon is untyped here; loaded through require so no ambient declaration is needed. */
const require = createRequire(import.meta.url);

/** One bounded autocannon run against 127.0.0.1. */
export function cannon(
  url: string,
  o: { seconds: number; connections?: number; requests: CannonRequest[] },
): Promise<CannonResult> {
  const autocannon = require('autocannon');
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: o.connections ?? 10,
        duration: o.seconds,
        requests: o.requests,
        timeout: 10,
      },
      (err: Error | null, r: any) => {
        if (err) return reject(err);
        resolve({
          rps: r.requests.average,
          p50: r.latency.p50,
          p99: r.latency.p99,
          total: r.requests.total,
          ok: r['2xx'],
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
        });
      },
    );
  });
}

export const fmt = (n: number, d = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
    : String(n);

/** A fixed-width text table. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface SeededProvider {
  id: string;
  /** 30 minutes, a slot every 30 minutes */
  serviceId: string;
  /** 60 minutes on a 30-minute step (only with `longService`): overlaps the short one */
  longServiceId?: string;
}
export interface SeededUser {
  id: string;
  token: string;
}
export interface SeededCatalog {
  providers: SeededProvider[];
  users: SeededUser[];
  staff: string;
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

/**
 * A catalog through the admin API: providers open 09:00–17:00 every day in `zone`, one
 * 30-minute service each (optionally with a cancellation fee), users each with their own
 * user token, and one staff token.
 */
export async function seedCatalog(
  base: string,
  admin: string,
  o: { providers: number; users: number; zones?: string[]; minNoticeMinutes?: number; longService?: boolean },
): Promise<SeededCatalog> {
  const providers = await pool(
    Array.from({ length: o.providers }, (_, i) => i),
    4,
    async (i) => {
      const p = await must(
        api(base, admin, 'POST', '/admin/providers', {
          name: `Bench ${i}`,
          timezone: o.zones?.[i % o.zones.length] ?? 'UTC',
        }),
        201,
      );
      await must(
        api(
          base,
          admin,
          'PUT',
          `/admin/providers/${p.id}/hours`,
          [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
        ),
      );
      const s = await must(
        api(base, admin, 'POST', '/admin/services', {
          providerId: p.id,
          title: 'Visit',
          durationMinutes: 30,
          priceCents: 5000,
          minNoticeMinutes: o.minNoticeMinutes ?? 0,
          cancellation: { freeUntilHoursBefore: 24, feeCents: 1000 },
        }),
        201,
      );
      if (!o.longService) return { id: p.id as string, serviceId: s.id as string };
      const l = await must(
        api(base, admin, 'POST', '/admin/services', {
          providerId: p.id,
          title: 'Long visit',
          durationMinutes: 60,
          slotStepMinutes: 30,
          priceCents: 9000,
          minNoticeMinutes: o.minNoticeMinutes ?? 0,
        }),
        201,
      );
      return { id: p.id as string, serviceId: s.id as string, longServiceId: l.id as string };
    },
  );
  const users = await pool(
    Array.from({ length: o.users }, (_, i) => i),
    4,
    async (i) => {
      const u = await must(
        api(base, admin, 'POST', '/admin/users', { name: `User ${i}`, email: `user${i}@example.com` }),
        201,
      );
      const t = await must(
        api(base, admin, 'POST', '/admin/tokens', { name: `user ${i}`, role: 'user', userId: u.id }),
        201,
      );
      return { id: u.id as string, token: t.token as string };
    },
  );
  const staff = await must(api(base, admin, 'POST', '/admin/tokens', { name: 'desk', role: 'staff' }), 201);
  return { providers, users, staff: staff.token as string };
}
