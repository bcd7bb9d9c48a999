import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { sendProblem } from './http/problem.js';
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
    // a worker of `--workers N` finds the admin token and the demo data made by its primary
    if (!opts.clusterWorker) await ensureAdmin(ctx, say);
    return await start(config, ctx, unlock, opts.clusterWorker ? () => {} : say, !opts.clusterWorker);
  } catch (e) {
    unlock();
    throw e;
  }
}

async function ensureAdmin(ctx: AppContext, say: (line: string) => void): Promise<void> {
  const adminTokenFile = await ensureAdminToken(ctx.db, ctx.config.dataDir, ctx.clock.now());
  if (adminTokenFile) say(`created an admin token in ${adminTokenFile} (mode 0600)`);
}

async function seedIfAsked(ctx: AppContext, say: (line: string) => void): Promise<void> {
  if (ctx.config.demo && (await isEmpty(ctx))) {
    say('seeding demo data…');
    const r = await seedDemo(ctx);
    say(`demo data: ${r.providers} providers, ${r.users} customers, ${r.appointments} appointments`);
  }
}

/** Once per database, before serving (the primary of `--workers N`): the first admin token, the demo data when asked. */
export async function prepareData(ctx: AppContext, say: (line: string) => void): Promise<void> {
  await ensureAdmin(ctx, say);
  await seedIfAsked(ctx, say);
}

async function start(
  config: Config,
  ctx: AppContext,
  unlock: () => void,
  say: (line: string) => void,
  seed: boolean,
): Promise<RunningServer> {
  // The port comes first: a taken port fails here, before the demo seed and the job workers
  // (which kept the process alive: `appt serve` on a taken port used to hang). Until the
  // seed and the jobs are in place, requests get a 503 `unavailable` with Retry-After
  // (the health probes answer, /readyz says not ready).
  let jobs: Jobs = { running: () => false, stop: async () => {} };
  let starting = true;
  const app = await buildApp(ctx, { jobsRunning: () => jobs.running() });
  app.addHook('onRequest', async (req, reply) => {
    if (!starting || req.url.startsWith('/healthz') || req.url.startsWith('/readyz')) return;
    reply.header('retry-after', '1');
    return sendProblem(reply, 'unavailable', 'the server is starting; retry shortly');
  });
  // Slow or stuck clients cannot hold a connection forever; idle keep-alive sockets go
  // quickly so a shutdown is not kept waiting by them.
  app.server.requestTimeout = 30_000;
  app.server.headersTimeout = 15_000;
  app.server.keepAliveTimeout = 5_000;
  await app.listen({ port: config.port, host: config.host });
  try {
    if (seed) await seedIfAsked(ctx, say);
    if (config.jobs) jobs = await startJobs(ctx);
  } catch (e) {
    await app.close();
    throw e;
  }
  starting = false;
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
