import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Processes of the benchmark and soak scripts: finding the project root, starting the real
 * server (or a baseline) as a separate process and making sure none is left behind.
 */

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
  /** node flags before bin/appt, e.g. --cpu-prof */
  nodeArgs?: string[];
}

/** The real server: `node bin/appt serve --port <p> --data-dir <d> --log-level silent`. */
export async function startAppt(o: ServerOptions): Promise<Proc & { adminToken: string }> {
  const bin = o.bin ?? join(projectRoot(), 'bin', 'appt');
  const p = await spawnListening(
    [
      ...(o.nodeArgs ?? []),
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
