import { redactUrl } from '../../shared/redact.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMain, seedCatalog, sleep } from '../bench/common.js';
import { Client, type World } from './client.js';
import { checkAll, drainOutbox } from './invariants.js';
import { Ledger } from './ledger.js';
import { type SoakOptions, parseSoakArgs, USAGE } from './options.js';
import { Supervised } from './server.js';
import { watch } from './realtime.js';

/**
 * The soak and chaos harness: simulated clients against the real server process, SIGKILL
 * and restart at random moments, the invariant checker after every restart and at the end.
 * Prints a summary ending with `N invariant violations`.
 */

const ZONES = [
  'America/New_York',
  'Europe/London',
  'UTC',
  'Asia/Tokyo',
  'Pacific/Auckland',
  'America/Los_Angeles',
];

export interface SoakResult {
  violations: number;
  summary: string;
  ledger: Ledger;
}

/** When the kills happen: spread over the run, each moved by up to ±30% of the gap. */
export function killTimes(durationMs: number, kills: number): number[] {
  const gap = durationMs / (kills + 1);
  return Array.from({ length: kills }, (_, i) =>
    Math.round(gap * (i + 1) + (Math.random() - 0.5) * 0.6 * gap),
  );
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const ledger = new Ledger();
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'appt-soak-'));
  const env: Record<string, string> = {};
  if (o.rateLimitUser !== undefined) env.APPT_RATE_LIMIT_USER = String(o.rateLimitUser);
  if (o.databaseUrl) env.APPT_DATABASE_URL = o.databaseUrl;
  const target = { dataDir, ...(o.databaseUrl ? { databaseUrl: o.databaseUrl } : {}) };
  const server = new Supervised({
    dataDir,
    env,
    args: ['--reservation-ttl', String(o.ttl), ...(o.workers ? ['--workers', String(o.workers)] : [])],
    ...(o.bin ? { bin: o.bin } : {}),
  });
  await server.start();
  log(
    `soak: ${o.clients} clients for ${o.duration} s, ${o.kills} kills, server ${server.url}${o.workers ? ` (${o.workers} workers)` : ''}, data ${dataDir}${o.databaseUrl ? ` + PostgreSQL ${redactUrl(o.databaseUrl)}` : ''}`,
  );
  log(
    `soak: hold TTL ${o.ttl} s; rate limits ${o.rateLimitUser === undefined ? 'server defaults (user 60/min, staff 60,000/min)' : `APPT_RATE_LIMIT_USER=${o.rateLimitUser}`}`,
  );
  const staffCount = o.clients >= 5 ? Math.max(1, Math.round(o.clients / 10)) : 0;
  const cat = await seedCatalog(server.url, server.adminToken, {
    providers: o.providers,
    users: o.clients - staffCount,
    zones: ZONES,
    longService: true,
  });
  const watchers = await watch(
    server,
    cat.staff,
    cat.providers.map((p) => p.id),
    o.subscribers,
    ledger,
  );

  const load0 = loadavg()[0]!;
  const start = Date.now();
  const world: World = {
    server,
    ledger,
    cat,
    deadline: start + o.duration * 1000,
    hardDeadline: start + (o.duration + o.drain) * 1000,
    replayShare: 0.25,
    think: o.think,
  };
  const clients = [
    ...cat.users.map((u, i) => new Client(world, `user ${i}`, u.token, u.id)),
    ...Array.from({ length: staffCount }, (_, i) => new Client(world, `staff ${i}`, cat.staff, null)),
  ];
  const running = Promise.all(clients.map((c) => c.run()));

  let restartedAt = 0;
  const resumed = () => {
    if (restartedAt && ledger.lastRealtimeEventAt > restartedAt) ledger.realtimeResumed++;
  };
  const chaos = (async () => {
    for (const [i, at] of killTimes(o.duration * 1000, o.kills).entries()) {
      const wait = start + at - Date.now();
      if (wait > 0) await sleep(wait);
      resumed();
      // with workers, every other kill hits one worker (the primary replaces it), the rest the whole server
      const worker = o.workers && o.workers > 1 && i % 2 === 0 ? server.killWorker() : null;
      ledger.kills++;
      if (worker) {
        log(
          `soak: t+${((Date.now() - start) / 1000).toFixed(1)} s SIGKILL worker ${worker} (${i + 1}/${o.kills})`,
        );
        await sleep(3000); // the primary forks a replacement
      } else {
        await server.kill();
        log(`soak: t+${((Date.now() - start) / 1000).toFixed(1)} s SIGKILL ${i + 1}/${o.kills}`);
        await sleep(100 + Math.random() * 900);
        await server.start();
      }
      ledger.restarts++;
      restartedAt = Date.now();
      await sleep(1500); // let the sweeper run once, as a freshly started server would
      const found = await checkAll(server, target, ledger, `after restart ${i + 1}`);
      log(`soak: restarted; invariant check: ${found} violations`);
    }
  })();

  const progress = setInterval(() => {
    log(
      `soak: t+${((Date.now() - start) / 1000).toFixed(0)} s, ${ledger.totalOps()} operations, ${ledger.acks.length} acknowledged changes, ${ledger.violations.length} violations`,
    );
  }, 30_000);
  progress.unref();
  try {
    await chaos;
    await running;
  } finally {
    clearInterval(progress);
  }
  resumed();
  const found = await checkAll(server, target, ledger, 'final');
  log(`soak: final invariant check: ${found} violations`);
  const ob = await drainOutbox(target, ledger, { seconds: o.outboxWait, require: o.requireOutbox });
  log(`soak: outbox pending ${ob.pending}, done ${ob.done}, dead ${ob.dead}`);
  watchers.close();
  await server.stop();
  ledger.notes.push(
    `machine: ${cpus().length} cores, node ${process.version}, 1-minute load average ${load0.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end`,
  );
  if (o.keep || o.dataDir) ledger.notes.push(`data kept in ${dataDir}`);
  else rmSync(dataDir, { recursive: true, force: true });
  const summary = ledger.summary();
  return { violations: ledger.violations.length, summary, ledger };
}

if (isMain(import.meta.url)) {
  let o: SoakOptions;
  try {
    o = parseSoakArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (o.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  runSoak(o).then(
    (r) => {
      process.stdout.write(`${r.summary}\n`);
      process.exit(r.violations > 0 ? 1 : 0);
    },
    (err) => {
      process.stderr.write(`soak failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(2);
    },
  );
}
