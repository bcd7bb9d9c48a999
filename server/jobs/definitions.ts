import { syncCalendars } from '../calendar/caldav.js';
import { exportIcs } from '../calendar/feed.js';
import { dispatchOutbox, queueReminders } from '../notifications/dispatch.js';
import { closeTransports, sendDue, transportsFrom } from '../notifications/send.js';
import type { JobDeps } from '../notifications/types.js';
import { oncePerInterval } from './periodic.js';
import { prune } from './prune.js';

/** Messages in flight at once per sender: also the most a crash can duplicate. */
export const SENDER_CONCURRENCY = 4;

/**
 * A long-lived job: one worker that polls (a cheap indexed SELECT) and works while there is
 * work. Spawning a worker thread costs ~150 ms of CPU, so second-by-second delivery jobs
 * loop instead of being started every second.
 */
export interface LoopJob {
  kind: 'loop';
  name: string;
  idleMs: number;
  open(deps: JobDeps): { step(signal: AbortSignal): Promise<number> | number; close(): void };
}

/** A periodic job: a fresh run every interval (Bree skips a tick while the last run is busy). */
export interface TickJob {
  kind: 'tick';
  name: string;
  intervalMs: number;
  run(deps: JobDeps, signal: AbortSignal): unknown | Promise<unknown>;
}

export type JobDef = LoopJob | TickJob;

/**
 * The background jobs. Each is a plain domain function (tested directly); the Bree worker
 * entry (worker.ts) and the inline fallback both call these. Every one is safe to run
 * twice and concurrently (claims, leases, unique indexes).
 */
export const JOBS: JobDef[] = [
  {
    kind: 'loop',
    name: 'outbox-dispatch',
    idleMs: 500,
    open: (d) => ({
      step: async () => {
        const r = await dispatchOutbox(d);
        return r.events + r.failed;
      },
      close() {},
    }),
  },
  {
    kind: 'loop',
    name: 'notification-send',
    idleMs: 500,
    open(d) {
      const t = transportsFrom(d, { concurrency: SENDER_CONCURRENCY });
      return {
        step: async () => (await sendDue(d, t, { concurrency: SENDER_CONCURRENCY })).claimed,
        close: () => closeTransports(t),
      };
    },
  },
  {
    kind: 'loop',
    name: 'calendar-sync',
    idleMs: 1_000,
    open: (d) => ({ step: async () => (await syncCalendars(d)).claimed, close() {} }),
  },
  // periodic: once per interval across processes (oncePerInterval; SQLite just runs them)
  {
    kind: 'tick',
    name: 'reminders',
    intervalMs: 60_000,
    run: oncePerInterval('reminders', 60_000, async (d) => await queueReminders(d)),
  },
  {
    kind: 'tick',
    name: 'ics-export',
    intervalMs: 5 * 60_000,
    run: oncePerInterval('ics-export', 5 * 60_000, async (d) => await exportIcs(d)),
  },
  {
    kind: 'tick',
    name: 'prune',
    intervalMs: 60 * 60_000,
    run: oncePerInterval('prune', 60 * 60_000, async (d) => await prune(d)),
  },
];

export function jobNamed(name: string): JobDef {
  const j = JOBS.find((x) => x.name === name);
  if (!j) throw new Error(`unknown job ${name}`);
  return j;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs a loop job until `signal` aborts: work while there is work, poll when idle. A
 * failing step is logged and retried after the idle pause; the loop itself never dies
 * of it.
 */
export async function runLoop(job: LoopJob, deps: JobDeps, signal: AbortSignal): Promise<void> {
  const h = job.open(deps);
  try {
    while (!signal.aborted) {
      let worked = 0;
      try {
        worked = await h.step(signal);
      } catch (err) {
        deps.logger.warn({ err, job: job.name }, 'job step failed; retrying after a pause');
      }
      if (worked === 0) await sleep(job.idleMs, signal);
    }
  } finally {
    h.close();
  }
}
