import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './server-process.js';

/**
 * `bin/appt serve` as a child whose stdout (pino JSON lines, with each process's pid) and
 * stderr (status lines) the test reads: for the cluster and load-balancer tests, which need
 * to know which process answered.
 */
export interface Served {
  child: ChildProcess;
  url: string;
  dataDir: string;
  adminToken: string;
  stderr(): string;
  /** the JSON log lines so far */
  logs(): Record<string, unknown>[];
  /** resolves with the first match of `re` in stderr (from the start), or rejects after `ms` */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  cleanup(): void;
}

export async function serve(
  opts: { args?: string[]; env?: Record<string, string>; dataDir?: string; timeoutMs?: number } = {},
): Promise<Served> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'appt-serve-'));
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--json', ...(opts.args ?? [])],
    { env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  let out = '';
  const waiters = new Set<() => void>();
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of waiters) w();
  });
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const waitFor = (re: RegExp, ms = 30_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(err);
        if (m) {
          waiters.delete(check);
          clearTimeout(t);
          resolve(m);
        }
      };
      const t = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${re} on stderr within ${ms} ms: ${err}`));
      }, ms);
      waiters.add(check);
      child.once('exit', (code) => {
        if (!waiters.has(check)) return;
        waiters.delete(check);
        clearTimeout(t);
        reject(new Error(`exited ${code} before ${re}: ${err}`));
      });
      check();
    });
  const m = await waitFor(/listening on (http:\/\/\S+)/, opts.timeoutMs ?? 60_000);
  return {
    child,
    url: m[1],
    dataDir,
    // only the first process on an empty database writes one
    adminToken: existsSync(join(dataDir, 'admin.token'))
      ? readFileSync(join(dataDir, 'admin.token'), 'utf8').trim()
      : '',
    stderr: () => err,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return {};
          }
        }),
    waitFor,
    stop(signal = 'SIGTERM') {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      });
    },
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  json: any;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * One request on a connection of its own (no keep-alive): behind node:cluster or a load
 * balancer each request may land on another process. A refused, reset or unanswered
 * (`timeoutMs`) connection resolves with status 0.
 */
export function call(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<Answer> {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = httpRequest(
      `${base}${path}`,
      {
        method,
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          connection: 'close',
          ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => resolve({ status: 0, json: undefined, headers: {} }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, headers: res.headers });
        });
      },
    );
    req.on('error', () => resolve({ status: 0, json: undefined, headers: {} }));
    // a connection handed to a process that died may never be answered
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    if (data) req.write(data);
    req.end();
  });
}
