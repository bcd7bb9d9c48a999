import type { Logger } from 'pino';
import type { Config } from '../../server/config.js';
import type { IO } from '../io.js';

/**
 * `appt serve --workers N`: the cluster's primary (server/cluster.ts) in the foreground.
 * SIGTERM / SIGINT drain every worker (in-flight requests finish) and exit 0.
 */
export async function serveCluster(io: IO, config: Config, logger: Logger, pretty: boolean): Promise<void> {
  const { startCluster } = await import('../../server/entry.js');
  const { listenError } = await import('./listen-check.js');
  const { CliError, EXIT } = await import('../exit-codes.js');
  const say = (l: string) => io.err(`${l}\n`);
  const c = await startCluster({ config, logger, say, pretty }).catch((e: unknown) => {
    const known = listenError(e, config.host, config.port);
    // forked workers may still be winding down: end at once, with one line
    throw known instanceof CliError
      ? known
      : new CliError(`the server did not start: ${(e as Error).message}`, EXIT.failed).exitNow();
  });
  io.err(`listening on ${c.url} (${config.workers} workers: pids ${c.pids().join(', ')})\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    io.err(`${signal}: shutting down ${config.workers} workers\n`);
    const t0 = Date.now();
    void c.stop().then((code) => {
      io.err(`stopped in ${Date.now() - t0} ms\n`);
      process.exit(code);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
