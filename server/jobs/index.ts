import type { AppContext } from '../context.js';
import { write } from '../outbox/write.js';
import { sweepExpired } from '../reservations/reservations.js';

export interface Jobs {
  running(): boolean;
  stop(): Promise<void>;
}

/**
 * Background work of a server process. The reservation sweeper runs in the main thread
 * (once a second) because it publishes `timeslot.updated` on the in-process bus.
 */
export function startJobs(ctx: AppContext): Jobs {
  let live = true;
  const sweep = setInterval(() => {
    try {
      write(ctx, (w) => sweepExpired(ctx.db, w));
    } catch (err) {
      ctx.logger.warn({ err }, 'reservation sweep failed; will retry');
    }
  }, 1000);
  sweep.unref();
  return {
    running: () => live,
    async stop() {
      live = false;
      clearInterval(sweep);
    },
  };
}
