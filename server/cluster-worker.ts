import type { FromWorker, ToWorker } from './cluster.js';
import type { RunningServer } from './main.js';

/**
 * A worker of `appt serve --workers N` (forked by server/cluster.ts). It asks the primary
 * for its configuration over IPC (not argv or env: the config holds secrets), serves on
 * the shared port and drains on 'stop', SIGTERM or SIGINT: in-flight requests finish
 * (bounded), then it exits 0. It also stops when the primary goes away.
 */
const DRAIN_MS = 10_000;
let srv: RunningServer | undefined;
let stopping = false;

function send(m: FromWorker): void {
  process.send?.(m);
}

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const cut = setTimeout(() => process.exit(1), DRAIN_MS);
  cut.unref();
  try {
    await srv?.close();
  } finally {
    clearTimeout(cut);
    process.exit(0);
  }
}

async function start(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  try {
    const { makeLogger } = await import('./ops/logger.js');
    const { createContext } = await import('./context.js');
    const { startServer } = await import('./main.js');
    const logger = await makeLogger(m.config.logLevel, { pretty: m.pretty });
    srv = await startServer({ ctx: await createContext(m.config, { logger }), clusterWorker: true });
    if (stopping) {
      await srv.close();
      return;
    }
    send({ type: 'listening', url: srv.url, port: srv.port });
  } catch (e) {
    send({ type: 'failed', message: (e as Error).message, code: (e as NodeJS.ErrnoException).code });
    process.exit(1);
  }
}

process.on('message', (m: ToWorker) => {
  if (m.type === 'start') void start(m);
  else if (m.type === 'stop') void stop();
});
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.on('disconnect', () => void stop());
send({ type: 'waiting' });
