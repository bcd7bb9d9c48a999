import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { ensureAdminToken } from './auth/tokens.js';
import { type Config, type GeneratedSecrets, loadConfig } from './config.js';
import { type AppContext, createContext } from './context.js';
import { isEmpty, seedDemo } from './demo/seed.js';
import { type Jobs, startJobs } from './jobs/index.js';
import { writeRunFile } from './ops/backup.js';
import { privateDir, privateFile, privatizeDataDir } from './ops/files.js';
import { lockDataDir } from './ops/lock.js';

/** Secrets not configured are generated once into <data-dir>/secrets.json (0600). */
export function dataDirSecrets(dataDir: string): GeneratedSecrets {
  privateDir(dataDir);
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as GeneratedSecrets;
  const s: GeneratedSecrets = {
    webhookSecret: randomBytes(24).toString('hex'),
    pusherAppId: String(100000 + Math.floor(Math.random() * 800000)),
    pusherKey: randomBytes(10).toString('hex'),
    pusherSecret: randomBytes(20).toString('hex'),
  };
  writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  privateFile(file);
  return s;
}

/**
 * The secrets as `--print-config` shows them: read from <data-dir>/secrets.json when it
 * exists, never created — printing the configuration writes nothing and changes no mode
 * (`--data-dir /tmp` must not make /tmp private).
 */
export function existingSecrets(dataDir: string): GeneratedSecrets {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as GeneratedSecrets;
  const later = '(generated at first start)';
  return { webhookSecret: later, pusherAppId: later, pusherKey: later, pusherSecret: later };
}

export interface RunningServer {
  app: FastifyInstance;
  ctx: AppContext;
  url: string;
  port: number;
  adminTokenFile: string | null;
  jobs: Jobs;
  close(): Promise<void>;
}

export interface StartOptions {
  flags?: Partial<Config>;
  env?: NodeJS.ProcessEnv;
  /** where status lines go (stderr for `appt serve`) */
  say?: (line: string) => void;
  /** a context built elsewhere (tests) */
  ctx?: AppContext;
  /**
   * A worker of `appt serve --workers N` (server/cluster.ts): the primary holds the
   * data-dir lock and has already created the admin token and seeded the demo.
   */
  clusterWorker?: boolean;
}

export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const config = opts.ctx?.config ?? loadConfig(opts.flags ?? {}, opts.env ?? process.env, dataDirSecrets);
  const ctx = opts.ctx ?? (await createContext(config));
  const say = opts.say ?? (() => {});
  // files are private (0700 / 0600) and one server owns a data directory: a second one
  // would run a second sweeper and job runner on the same file
  privatizeDataDir(config.dataDir);
  const unlock = config.dbPath === ':memory:' || opts.clusterWorker ? () => {} : lockDataDir(config.dataDir);
  try {
    if (!opts.clusterWorker) await prepareData(ctx, say);
    return await start(config, ctx, unlock);
  } catch (e) {
    unlock();
    throw e;
  }
}

/** Once per database, before serving: the first admin token, and the demo data when asked. */
export async function prepareData(ctx: AppContext, say: (line: string) => void): Promise<void> {
  const adminTokenFile = await ensureAdminToken(ctx.db, ctx.config.dataDir, ctx.clock.now());
  if (adminTokenFile) say(`created an admin token in ${adminTokenFile} (mode 0600)`);
  if (ctx.config.demo && (await isEmpty(ctx))) {
    say('seeding demo data…');
    const r = await seedDemo(ctx);
    say(`demo data: ${r.providers} providers, ${r.users} customers, ${r.appointments} appointments`);
  }
}

async function start(config: Config, ctx: AppContext, unlock: () => void): Promise<RunningServer> {
  const jobs = config.jobs ? await startJobs(ctx) : { running: () => false, stop: async () => {} };
  const app = await buildApp(ctx, { jobsRunning: () => jobs.running() });
  // Slow or stuck clients cannot hold a connection forever; idle keep-alive sockets go
  // quickly so a shutdown is not kept waiting by them.
  app.server.requestTimeout = 30_000;
  app.server.headersTimeout = 15_000;
  app.server.keepAliveTimeout = 5_000;
  await app.listen({ port: config.port, host: config.host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  // `appt admin restore` refuses while this file says a live process uses the data dir
  const removeRunFile = config.dbPath === ':memory:' ? () => {} : writeRunFile(config.dataDir, { url, port });
  let closed = false;
  return {
    app,
    ctx,
    url,
    port,
    adminTokenFile: join(config.dataDir, 'admin.token'),
    jobs,
    /**
     * Graceful stop: stop accepting and let in-flight requests finish (late requests on
     * open connections get a 503 problem), close WebSockets (1001, by the realtime hub),
     * stop jobs, checkpoint the WAL into the database file and close it.
     */
    async close() {
      if (closed) return;
      closed = true;
      try {
        await app.close();
      } finally {
        await jobs.stop();
        await ctx.db.close();
        removeRunFile();
        unlock();
      }
    },
  };
}
