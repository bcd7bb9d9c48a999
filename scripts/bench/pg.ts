import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { BENCH_ENV, type Dataset } from './dataset.js';
import { api, arg, must, pool, strArg } from './http.js';
import { interleaved, type Measured, problems, type Target } from './measure.js';
import { isMain, type Proc, projectRoot, startAppt } from './procs.js';
import { type Figure, fmt, printBenchJson, table } from './report.js';
import { seedCatalog } from './seed.js';
import { holdTarget, Slots } from './writes.js';

/**
 * Issue 11's bench item and issue 14's last aim: list and hold throughput of our server on
 * PostgreSQL beside the same server on SQLite, interleaved in one run, and on PostgreSQL
 * with `--workers 1` and `--workers 2` when `appt serve --help` lists --workers. Needs
 * APPT_BENCH_DATABASE_URL (or APPT_TEST_DATABASE_URL) naming a PostgreSQL server the bench
 * may create databases on; each server gets a database of its own, created here and
 * dropped at the end. All servers are seeded the same way through the API (10 providers,
 * 50 users, 30 upcoming bookings of the listed user), so their lists are alike.
 */

export interface PgBenchOptions {
  seconds: number;
  rounds: number;
  connections: number;
  url?: string;
  bin?: string;
  log?: (l: string) => void;
}

export function benchDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const u = env.APPT_BENCH_DATABASE_URL || env.APPT_TEST_DATABASE_URL;
  return u && /^postgres(ql)?:\/\//.test(u) ? u : undefined;
}

/** Whether this build's `appt serve` takes --workers (another branch adds it). */
export function workersFlag(helpText: string): boolean {
  return /--workers\b/.test(helpText);
}

/** The pids a `listening on … (N workers: pids a, b)` line names, besides the primary. */
export function workerPids(stderr: string): number[] {
  const m = /workers: pids ([\d, ]+)\)/.exec(stderr);
  return m
    ? m[1]!
        .split(',')
        .map((x) => Number(x.trim()))
        .filter(Boolean)
    : [];
}

interface Served {
  name: string;
  proc: Proc & { adminToken: string };
  pids: number[];
  ds: Dataset;
  slots: Slots;
}

async function seeded(name: string, proc: Proc & { adminToken: string }, dataDir: string): Promise<Served> {
  const cat = await seedCatalog(proc.url, proc.adminToken, { providers: 10, users: 50 });
  const ds: Dataset = { dataDir, cat, appointments: 30 };
  const slots = new Slots(ds);
  const u = cat.users[0]!;
  // 30 upcoming appointments of user 0: a full 20-row first page
  await pool(
    Array.from({ length: 30 }, (_, i) => i),
    4,
    async (i) => {
      const h = await must(api(proc.url, u.token, 'POST', '/reservations', slots.next()), 201);
      await must(
        api(
          proc.url,
          u.token,
          'POST',
          '/bookings',
          { reservationToken: h.reservationToken, userId: u.id },
          { 'idempotency-key': `seed-${i}` },
        ),
        201,
      );
    },
  );
  return { name, proc, pids: [proc.child.pid!, ...workerPids(proc.stderr())], ds, slots };
}

export async function runPgBench(o: PgBenchOptions): Promise<{ figures: Figure[]; notes: string[] }> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const bin = o.bin ?? join(projectRoot(), 'bin', 'appt');
  const url = o.url ?? benchDatabaseUrl();
  if (!url) {
    log(
      'PostgreSQL: not measured (set APPT_BENCH_DATABASE_URL=postgres://… to a server the bench may create databases on)',
    );
    return { figures: [], notes: ['PostgreSQL not measured: no APPT_BENCH_DATABASE_URL'] };
  }
  const help = spawnSync(process.execPath, [bin, 'serve', '--help'], { encoding: 'utf8' }).stdout ?? '';
  const workers = workersFlag(help);
  log(
    `pg bench: ${o.seconds} s per target in ${o.rounds} interleaved rounds, ${o.connections} connections; --workers ${workers ? 'available: 1 and 2 measured' : 'not available in this build (appt serve --help does not list it)'}`,
  );
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const dbs: string[] = [];
  const dirs: string[] = [];
  const served: Served[] = [];
  const dbUrl = async (tag: string) => {
    const name = `appt_bench_${process.pid}_${tag}`;
    await admin.query(`CREATE DATABASE ${name}`);
    dbs.push(name);
    const u = new URL(url);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const start = async (name: string, args: string[]) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'appt-bench-pg-'));
    dirs.push(dataDir);
    const proc = await startAppt({ bin, dataDir, env: BENCH_ENV, args });
    served.push(await seeded(name, proc, dataDir));
  };
  try {
    await start('SQLite', []);
    await start(workers ? 'PostgreSQL, 1 worker' : 'PostgreSQL', [
      '--database-url',
      await dbUrl('w1'),
      ...(workers ? ['--workers', '1'] : []),
    ]);
    if (workers)
      await start('PostgreSQL, 2 workers', ['--database-url', await dbUrl('w2'), '--workers', '2']);
    const targets: Target[] = [];
    const notes: string[] = [];
    for (const s of served) {
      const u = s.ds.cat.users[0]!;
      // one plain call first: a route that fails is reported as failing, not as fast
      const probe = await api(s.proc.url, u.token, 'GET', `/users/${u.id}/appointments?limit=20`);
      if (probe.status !== 200) {
        const line = `list on ${s.name} answers ${probe.status}: ${probe.text.slice(0, 300)}`;
        log(line);
        notes.push(line);
      }
      targets.push({
        name: `list ${s.name}`,
        url: s.proc.url,
        pid: s.pids,
        requests: [
          {
            method: 'GET',
            path: `/users/${u.id}/appointments?limit=20`,
            headers: { authorization: `Bearer ${u.token}` },
          },
        ],
      });
      targets.push(holdTarget(`hold ${s.name}`, s.proc.url, s.pids, s.ds, false, s.slots));
    }
    const r = await interleaved(targets, o);
    const g = (k: string): Measured => r.get(k)!;
    const sq = served[0]!.name;
    log('');
    log(
      table(
        ['run', 'req/s', '÷ SQLite', 'p50 ms', 'p99 ms', 'CPU µs/req'],
        served.flatMap((s) =>
          ['list', 'hold'].map((what) => {
            const m = g(`${what} ${s.name}`);
            return [
              `${what === 'list' ? 'GET /users/{id}/appointments?limit=20' : 'POST /reservations'} — ${s.name}`,
              fmt(m.rps),
              fmt(m.rps / g(`${what} ${sq}`).rps, 2),
              fmt(m.p50),
              fmt(m.p99) + problems(m),
              fmt(m.cpuUs),
            ];
          }),
        ),
      ),
    );
    log(`answers: ${targets.map((t) => `${t.name} ${JSON.stringify(g(t.name).codes)}`).join('; ')}`);
    const figures: Figure[] = [];
    for (const s of served.slice(1))
      for (const what of ['list', 'hold']) {
        const m = g(`${what} ${s.name}`);
        figures.push(
          { label: `${what} req/s on ${s.name}`, value: m.rps, unit: 'req/s' },
          { label: `${what} on ${s.name} ÷ SQLite`, value: m.rps / g(`${what} ${sq}`).rps, unit: 'x' },
        );
      }
    if (workers)
      for (const what of ['list', 'hold'])
        figures.push({
          label: `PostgreSQL ${what}: 2 workers ÷ 1 worker`,
          value: g(`${what} PostgreSQL, 2 workers`).rps / g(`${what} PostgreSQL, 1 worker`).rps,
          unit: 'x',
        });
    return {
      figures,
      notes: [
        ...notes,
        workers ? '--workers 1 and 2 measured' : '--workers not available in this build',
        'CPU of a cluster is the primary plus its workers; PostgreSQL itself runs on the same two cores',
      ],
    };
  } finally {
    for (const s of served) await s.proc.stop();
    for (const d of dbs) await admin.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => {});
    await admin.end();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const bin = strArg('bin');
  const url = strArg('database-url');
  runPgBench({
    seconds: arg('seconds', 9),
    rounds: arg('rounds', 3),
    connections: arg('connections', 10),
    ...(bin ? { bin } : {}),
    ...(url ? { url } : {}),
  }).then(
    ({ figures, notes }) => printBenchJson({ name: 'pg', figures, notes }),
    (err) => {
      process.stderr.write(`pg bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
