import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Bree from 'bree';
import type { Logger } from 'pino';
import type { AppContext } from '../context.js';
import { write } from '../outbox/write.js';
import { sweepExpired } from '../reservations/reservations.js';
import { JOBS, jobNamed, runLoop } from './definitions.js';

export interface Jobs {
  running(): boolean;
  stop(): Promise<void>;
}

export interface JobOptions {
  /**
   * 'bree' runs each job in a worker thread with its own database handle (needs the
   * compiled dist/server/jobs/worker.js); 'inline' runs the same functions on timers in
   * this thread (source runs under tsx, where Bree cannot load .ts). 'auto' picks Bree
   * when the compiled entry exists and the database is a file.
   */
  mode?: 'auto' | 'bree' | 'inline';
  /** per-job interval overrides (ms) */
  intervals?: Record<string, number>;
  /** how long stop() waits for running jobs before terminating them */
  stopTimeoutMs?: number;
}

/** Bree talks a lot at info level (every worker start and exit); that is debug for us. */
function breeLogger(logger: Logger) {
  return {
    info: (...a: unknown[]) => logger.debug({ bree: a.map(String) }, 'bree'),
    warn: (...a: unknown[]) =>
      String(a[0]).includes('already running')
        ? logger.debug({ bree: String(a[0]) }, 'job still running; this tick skipped')
        : logger.warn({ bree: a.map(String) }, 'bree'),
    error: (...a: unknown[]) => logger.error({ bree: a.map(String) }, 'bree'),
  };
}

/**
 * Background work of a server process. The reservation sweeper runs in the main thread
 * (once a second) because it publishes `timeslot.updated` on the in-process bus. The
 * delivery jobs run under Bree in worker threads. A failing job is logged and runs again
 * at its next tick; it never takes the server down.
 */
export async function startJobs(ctx: AppContext, opts: JobOptions = {}): Promise<Jobs> {
  let live = true;
  const sweep = setInterval(async () => {
    try {
      await write(ctx, async (w) => await sweepExpired(w.db, w));
    } catch (err) {
      ctx.logger.warn({ err }, 'reservation sweep failed; will retry');
    }
  }, 1000);
  sweep.unref();

  const entry = fileURLToPath(new URL('./worker.js', import.meta.url));
  const mode = opts.mode ?? 'auto';
  const useBree =
    mode === 'bree' || (mode === 'auto' && existsSync(entry) && ctx.config.dbPath !== ':memory:');
  const interval = (name: string, def: number) => opts.intervals?.[name] ?? def;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 10_000;

  if (useBree) {
    const bree = new Bree({
      root: false,
      doRootCheck: false,
      logger: breeLogger(ctx.logger) as unknown as Bree.BreeLogger,
      jobs: JOBS.map((j) => ({
        name: j.name,
        path: entry,
        // timeout 0: start at once (a loop job stays up; a tick job catches up after a restart)
        timeout: 0,
        ...(j.kind === 'tick' ? { interval: interval(j.name, j.intervalMs) } : {}),
        worker: { workerData: { job: j.name, config: ctx.config } },
      })),
      errorHandler: (err: unknown, meta: { name?: string } | undefined) =>
        ctx.logger.warn({ err, job: meta?.name }, 'job failed; it runs again'),
    });
    // a loop worker that died (crash, OOM) is started again after a pause
    const restarts = new Set<NodeJS.Timeout>();
    bree.on('worker deleted', (name: string) => {
      if (!live || jobNamed(name).kind !== 'loop') return;
      const t = setTimeout(() => {
        restarts.delete(t);
        if (live) bree.run(name).catch((err) => ctx.logger.warn({ err, job: name }, 'job restart failed'));
      }, 1000);
      t.unref();
      restarts.add(t);
    });
    let stopped = false;
    const started = bree.start().catch((err) => {
      live = false;
      ctx.logger.error({ err }, 'jobs did not start');
    });
    return {
      running: () => live,
      async stop() {
        if (stopped) return;
        stopped = true;
        live = false;
        clearInterval(sweep);
        for (const t of restarts) clearTimeout(t);
        await started;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          bree.stop(),
          new Promise((r) => {
            timer = setTimeout(r, stopTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
        // a job stuck on the network past the timeout is cut off; its claims lapse and a
        // later run redoes them (at most the in-flight messages repeat, same Message-IDs)
        await Promise.all([...bree.workers.values()].map((w) => w.terminate()));
      },
    };
  }

  const abort = new AbortController();
  const busy = new Set<string>();
  const running = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    running.add(p);
    void p.finally(() => running.delete(p));
  };
  const deps = (name: string) => ({
    db: ctx.db,
    clock: ctx.clock,
    config: ctx.config,
    logger: ctx.logger.child({ job: name }),
  });
  const timers: NodeJS.Timeout[] = [];
  for (const j of JOBS) {
    if (j.kind === 'loop') {
      track(
        runLoop(j, deps(j.name), abort.signal).catch((err) =>
          ctx.logger.error({ err, job: j.name }, 'job stopped'),
        ),
      );
      continue;
    }
    const tick = () => {
      if (busy.has(j.name) || abort.signal.aborted) return;
      busy.add(j.name);
      track(
        Promise.resolve()
          .then(() => j.run(deps(j.name), abort.signal))
          .catch((err) => ctx.logger.warn({ err, job: j.name }, 'job failed; it runs again at its next tick'))
          .finally(() => busy.delete(j.name)),
      );
    };
    const t = setInterval(tick, interval(j.name, j.intervalMs));
    t.unref();
    timers.push(t);
    setImmediate(tick);
  }
  return {
    running: () => live,
    async stop() {
      live = false;
      clearInterval(sweep);
      for (const t of timers) clearInterval(t);
      abort.abort();
      await Promise.all(running);
    },
  };
}
