import {
  ConfigError,
  createContext,
  dataDirSecrets,
  existingSecrets,
  loadConfig,
  makeLogger,
  maskedConfig,
  startServer,
} from '../../server/entry.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Factory } from '../factory.js';

export interface ServeFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  demo?: boolean;
  logLevel?: string;
  reservationTtl?: string;
  jobs?: boolean;
  workers?: string;
  printConfig?: boolean;
  json?: boolean;
}

export function serveFlags(o: ServeFlags) {
  return {
    ...(o.port !== undefined ? { port: o.port as unknown as number } : {}),
    ...(o.host !== undefined ? { host: o.host } : {}),
    ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
    ...(o.databaseUrl !== undefined ? { databaseUrl: o.databaseUrl } : {}),
    ...(o.demo ? { demo: true } : {}),
    ...(o.logLevel !== undefined ? { logLevel: o.logLevel } : {}),
    ...(o.reservationTtl !== undefined
      ? { reservationTtlSeconds: o.reservationTtl as unknown as number }
      : {}),
    ...(o.jobs === false ? { jobs: false } : {}),
    ...(o.workers !== undefined ? { workers: o.workers as unknown as number } : {}),
  };
}

export async function runServe(f: Factory, o: ServeFlags): Promise<void> {
  const { io } = f;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(serveFlags(o), io.env, o.printConfig ? existingSecrets : dataDirSecrets);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
  if (o.printConfig) {
    io.out(`${JSON.stringify(maskedConfig(config), null, 2)}\n`);
    return;
  }
  // JSON lines for machines; a person at a terminal gets pino-pretty. Both redact secrets.
  const { assertPortFree, listenError } = await import('./listen-check.js');
  await assertPortFree(config.host, config.port);
  const logger = await makeLogger(config.logLevel, {
    pretty: io.isTTY && !o.json && config.logLevel !== 'silent',
  });
  if (config.workers > 1) {
    const { serveCluster } = await import('./serve-cluster.js');
    await serveCluster(io, config, logger, io.isTTY && !o.json && config.logLevel !== 'silent');
    return;
  }
  const srv = await startServer({
    ctx: await createContext(config, { logger }),
    say: (l) => io.err(`${l}\n`),
  }).catch((e: unknown) => {
    throw listenError(e, config.host, config.port);
  });
  io.err(`listening on ${srv.url}\n`);
  const { default: closeWithGrace } = await import('close-with-grace');
  // Bounded: in-flight requests get up to 10 s to finish, then the process exits anyway
  // (the WAL makes that safe; the checkpoint just happens on the next start).
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) srv.ctx.logger.error({ err }, 'shutting down after an error');
    else io.err(`${signal ?? 'stop'}: shutting down\n`);
    const t0 = Date.now();
    await srv.close();
    io.err(`stopped in ${Date.now() - t0} ms\n`);
  });
}
