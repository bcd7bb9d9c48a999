import cluster, { type Worker } from 'node:cluster';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createContext } from './context.js';
import { prepareData } from './main.js';
import { writeRunFile } from './ops/backup.js';
import { privatizeDataDir } from './ops/files.js';
import { lockDataDir } from './ops/lock.js';

/** Messages between the primary and a worker (IPC). */
export type ToWorker = { type: 'start'; config: Config; pretty: boolean } | { type: 'stop' };
export type FromWorker =
  | { type: 'waiting' }
  | { type: 'listening'; url: string; port: number }
  | { type: 'failed'; message: string; code?: string | undefined };

export interface ClusterOptions {
  config: Config;
  logger: Logger;
  /** status lines (stderr) */
  say: (line: string) => void;
  /** workers log through pino-pretty (a person at a terminal) */
  pretty?: boolean;
  /** how long a worker may take to drain on stop before it is killed */
  drainMs?: number;
}

export interface RunningCluster {
  url: string;
  port: number;
  /** pids of the live workers */
  pids(): number[];
  /** drains every worker (in-flight requests finish), then releases the data directory; the exit code */
  stop(): Promise<number>;
}

/** How many times in a row a worker may die before it listens before the cluster gives up. */
const MAX_FAILED_STARTS = 3;

function workerEntry(): string {
  const js = fileURLToPath(new URL('./cluster-worker.js', import.meta.url));
  return existsSync(js) ? js : js.replace(/\.js$/, '.ts');
}

/**
 * `appt serve --workers N` (node:cluster), the primary's side. The primary does what must
 * happen once — holds the data-dir lock, migrates, creates the admin token, seeds the demo —
 * and then forks N workers that serve on one port (the primary hands out connections).
 * Only worker 1 runs the background jobs: every job is safe to run in several processes
 * (SKIP LOCKED claims, periodic jobs under a lock and a claim of their interval), but there
 * is no reason to run them N times on one machine. Each worker's realtime hub serves its
 * own WebSocket clients.
 *
 * A worker that dies is started again (at once if it had been serving); one that cannot
 * start three times in a row stops the cluster. `stop()` asks every worker to drain —
 * in-flight requests finish — and resolves with 0 when they all exited cleanly.
 */
export async function startCluster(opts: ClusterOptions): Promise<RunningCluster> {
  const { config, say } = opts;
  const drainMs = opts.drainMs ?? 15_000;
  privatizeDataDir(config.dataDir);
  // the primary owns the data directory for the whole cluster: workers do not lock it
  const unlock = lockDataDir(config.dataDir);
  try {
    const ctx = await createContext(config, { logger: opts.logger });
    try {
      await prepareData(ctx, say);
    } finally {
      await ctx.db.close();
    }
  } catch (e) {
    unlock();
    throw e;
  }

  cluster.setupPrimary({ exec: workerEntry(), args: [] });
  const slots = new Map<Worker, { slot: number; listening: boolean }>();
  const failedStarts = new Map<number, number>();
  let port = config.port;
  let stopping = false;
  let started = false;
  let removeRunFile = () => {};
  let onFatal: (message: string, code?: string) => void = () => {};

  // Every worker asks for the configured port, even 0: node:cluster shares one listening
  // handle per (address, port asked), so a restarted worker asking for the bound port
  // would try to bind it a second time (EADDRINUSE).
  const workerConfig = (slot: number): Config => ({
    ...config,
    demo: false,
    jobs: slot === 1 ? config.jobs : false,
    workers: 1,
  });

  let allListening: () => void = () => {};
  const firstStart = new Promise<void>((resolve, reject) => {
    allListening = resolve;
    onFatal = (m, code) => reject(Object.assign(new Error(m), code ? { code } : {}));
  });

  function fork(slot: number): void {
    const w = cluster.fork({ APPT_WORKER_SLOT: String(slot) });
    slots.set(w, { slot, listening: false });
    w.on('message', (m: FromWorker) => {
      const info = slots.get(w);
      if (!info) return;
      if (m.type === 'waiting') {
        const msg: ToWorker = { type: 'start', config: workerConfig(slot), pretty: Boolean(opts.pretty) };
        w.send(msg);
      } else if (m.type === 'listening') {
        info.listening = true;
        failedStarts.set(slot, 0);
        port = m.port;
        if (started) say(`worker ${w.process.pid} (slot ${slot}) listening`);
        else if ([...slots.values()].filter((i) => i.listening).length === opts.config.workers)
          allListening();
      } else if (m.type === 'failed') {
        say(`worker ${w.process.pid} (slot ${slot}) could not start: ${m.message}`);
        if (!started) onFatal(m.message, m.code);
      }
    });
  }

  cluster.on('exit', (w, code, signal) => {
    const info = slots.get(w);
    slots.delete(w);
    if (!info || stopping) return;
    const how = signal ?? `code ${code}`;
    if (!info.listening) {
      const n = (failedStarts.get(info.slot) ?? 0) + 1;
      failedStarts.set(info.slot, n);
      if (!started) {
        onFatal(`worker ${w.process.pid} exited (${how}) before it listened`);
        return;
      }
      if (n >= MAX_FAILED_STARTS) {
        say(`worker slot ${info.slot} failed to start ${n} times in a row; stopping the cluster`);
        void handle.stop().then((c) => process.exit(c || 1));
        return;
      }
    }
    // a worker that served is replaced at once; one that died starting, after a pause
    const wait = info.listening ? 0 : 1_000;
    say(`worker ${w.process.pid} (slot ${info.slot}) exited (${how}); starting another`);
    setTimeout(() => {
      if (!stopping) fork(info.slot);
    }, wait).unref();
  });

  const handle: RunningCluster = {
    get url() {
      return urlOf(config.host, port);
    },
    get port() {
      return port;
    },
    pids: () => [...slots.keys()].map((w) => w.process.pid ?? 0).filter(Boolean),
    async stop() {
      if (stopping) return 0;
      stopping = true;
      let clean = true;
      await Promise.all(
        [...slots.keys()].map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              const kill = setTimeout(() => {
                clean = false;
                w.process.kill('SIGKILL');
              }, drainMs);
              w.once('exit', (code, signal) => {
                clearTimeout(kill);
                if (code !== 0 || signal) clean = false;
                resolve();
              });
              try {
                w.send({ type: 'stop' } satisfies ToWorker);
              } catch {
                w.process.kill('SIGTERM');
              }
            }),
        ),
      );
      removeRunFile();
      unlock();
      return clean ? 0 : 1;
    },
  };

  for (let slot = 1; slot <= config.workers; slot++) fork(slot);
  try {
    await firstStart;
  } catch (e) {
    await handle.stop();
    throw e;
  }
  started = true;
  removeRunFile = writeRunFile(config.dataDir, { url: handle.url, port });
  return handle;
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
