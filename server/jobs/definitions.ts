import { exportIcs } from '../calendar/feed.js';
import { syncCalendars } from '../calendar/caldav.js';
import { dispatchOutbox, queueReminders } from '../notifications/dispatch.js';
import { closeTransports, drainNotifications, transportsFrom } from '../notifications/send.js';
import type { JobDeps } from '../notifications/types.js';
import { prune } from './prune.js';

/** Messages in flight at once per sender: also the most a crash can duplicate. */
export const SENDER_CONCURRENCY = 4;

export interface JobDef {
  name: string;
  intervalMs: number;
  run(deps: JobDeps, signal: AbortSignal): unknown | Promise<unknown>;
}

/**
 * The background jobs. Each is a plain domain function (tested directly); the Bree worker
 * entry (worker.ts) and the inline fallback both call these. Every one is safe to run
 * twice and concurrently (claims, leases, unique indexes).
 */
export const JOBS: JobDef[] = [
  { name: 'outbox-dispatch', intervalMs: 1_000, run: (d) => dispatchOutbox(d) },
  {
    name: 'notification-send',
    intervalMs: 1_000,
    async run(d, signal) {
      const t = transportsFrom(d, { concurrency: SENDER_CONCURRENCY });
      try {
        return await drainNotifications(d, t, { concurrency: SENDER_CONCURRENCY, signal, budgetMs: 30_000 });
      } finally {
        closeTransports(t);
      }
    },
  },
  { name: 'reminders', intervalMs: 60_000, run: (d) => queueReminders(d) },
  { name: 'calendar-sync', intervalMs: 5_000, run: (d) => syncCalendars(d) },
  { name: 'ics-export', intervalMs: 5 * 60_000, run: (d) => exportIcs(d) },
  { name: 'prune', intervalMs: 60 * 60_000, run: (d) => prune(d) },
];

export function jobNamed(name: string): JobDef {
  const j = JOBS.find((x) => x.name === name);
  if (!j) throw new Error(`unknown job ${name}`);
  return j;
}
