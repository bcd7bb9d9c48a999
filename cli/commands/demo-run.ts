import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ConfigError,
  createContext,
  dataDirSecrets,
  insertToken,
  loadConfig,
  startServer,
} from '../../server/entry.js';
import { ApiClient } from '../../shared/client.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Factory } from '../factory.js';
import type { DemoFlags } from './demo.js';

/** Saves a working staff login for `url`: reuses the saved one when it still works there. */
async function staffLogin(f: Factory, url: string, dataDir: string, mint: () => Promise<string>) {
  const store = await f.config();
  const saved = store.data();
  if (saved.token && saved.server === url) {
    const c = new ApiClient({ baseUrl: url, token: saved.token });
    const me = await c.me().catch(() => undefined);
    await c.close();
    if (me && (me.role === 'staff' || me.role === 'admin')) return { store, token: saved.token, me };
  }
  let token: string;
  const adminFile = join(dataDir, 'admin.token');
  if (existsSync(adminFile)) {
    // the audited path: an admin creates the desk token over the API
    const admin = new ApiClient({ baseUrl: url, token: readFileSync(adminFile, 'utf8').trim() });
    try {
      token = (await admin.createToken({ name: 'demo front desk', role: 'staff' })).token;
    } catch {
      token = await mint();
    } finally {
      await admin.close();
    }
  } else token = await mint();
  const c = new ApiClient({ baseUrl: url, token });
  const me = await c.me();
  await c.close();
  await store.saveLogin(url, token, me);
  return { store, token, me };
}

export async function runDemo(f: Factory, o: DemoFlags): Promise<void> {
  const { io } = f;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(
      {
        demo: true,
        ...(o.port !== undefined ? { port: o.port as unknown as number } : {}),
        ...(o.dataDir !== undefined ? { dataDir: resolve(o.dataDir) } : {}),
        ...(o.reservationTtl !== undefined
          ? { reservationTtlSeconds: o.reservationTtl as unknown as number }
          : {}),
      },
      io.env,
      dataDirSecrets,
    );
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
  const { assertPortFree, listenError } = await import('./listen-check.js');
  await assertPortFree(config.host, config.port);
  mkdirSync(config.dataDir, { recursive: true });
  const log = join(config.dataDir, 'server.log');
  const { default: pino } = await import('pino');
  const logger = pino(
    { level: config.logLevel === 'silent' ? 'info' : config.logLevel },
    pino.destination({ dest: log, mkdir: true, sync: false }),
  );
  const ctx = await createContext(config, { logger });
  const srv = await startServer({ ctx, say: (l) => io.err(`${l}\n`) }).catch((e: unknown) => {
    throw listenError(e, config.host, config.port);
  });
  const login = await staffLogin(
    f,
    srv.url,
    config.dataDir,
    async () =>
      (await insertToken(ctx.db, ctx.clock.now(), { name: 'demo front desk', role: 'staff' })).token,
  );
  io.err(`demo server on ${srv.url} (logs: ${log})\n`);
  io.err(`saved a staff login in ${login.store.path}: \`appt list\` works from another terminal\n`);
  const tty = io.stdinTTY && io.isTTY;
  if (tty) {
    let tui: typeof import('../tui/app.js') | undefined;
    try {
      tui = await (await import('../tui/load.js')).loadTui();
    } catch {
      tui = undefined;
    }
    if (tui) {
      try {
        await tui.runTui({ server: srv.url, token: login.token, io, me: login.me });
      } finally {
        await srv.close();
      }
      return;
    }
    io.err('the terminal UI is not built into this copy; serving only (Ctrl-C to stop)\n');
  }
  if (o.json)
    io.out(`${JSON.stringify({ url: srv.url, dataDir: config.dataDir, log, config: login.store.path })}\n`);
  else io.out(`${srv.url}\n`);
  io.err(`listening on ${srv.url}\n`);
  const { default: closeWithGrace } = await import('close-with-grace');
  closeWithGrace({ delay: 10_000 }, async ({ signal }) => {
    io.err(`${signal ?? 'stop'}: shutting down\n`);
    await srv.close();
    logger.flush();
  });
}
