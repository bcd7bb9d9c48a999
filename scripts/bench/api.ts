import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { encodeTimeslotId } from '../../server/availability/slots.js';
import { openDb, sqliteOf } from '../../server/db/open.js';
import { startBaseline } from './baselines.js';
import {
  type CannonRequest,
  type CannonResult,
  cannon,
  type Figure,
  fmt,
  isMain,
  printBenchJson,
  type SeededCatalog,
  seedCatalog,
  startAppt,
  table,
} from './common.js';

/**
 * Issue 2's benchmark: the real server process against bare Fastify baselines, side by side
 * in one run, plus how list and availability latency change from 2,000 to 200,000
 * appointments. autocannon runs in this process; server and baselines are separate processes.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;
const RATE_ENV = { APPT_RATE_LIMIT_USER: '0', APPT_RATE_LIMIT_STAFF: '0' };

export interface ApiBenchOptions {
  seconds: number;
  connections: number;
  small: number;
  large: number;
  /** measured turns per target, interleaved across targets */
  rounds: number;
  bin?: string;
  log?: (line: string) => void;
}

interface Dataset {
  dataDir: string;
  cat: SeededCatalog;
  appointments: number;
}

const utcMidnight = (ms: number) => Math.floor(ms / DAY) * DAY;

/**
 * Builds a data directory: catalog through the admin API, then `n` appointments inserted
 * directly with SQL (fine for a read benchmark; migrations applied by openDb). Each provider
 * gets 8 appointments a day (on the hour, 09:00–16:00 UTC) going back from 20 days ahead, so
 * the day measured (3 days ahead) looks the same in both sizes; only history grows.
 */
export async function buildDataset(n: number, o: ApiBenchOptions): Promise<Dataset> {
  const dataDir = mkdtempSync(join(tmpdir(), 'appt-bench-'));
  const srv = await startAppt({ dataDir, env: RATE_ENV, ...(o.bin ? { bin: o.bin } : {}) });
  let cat: SeededCatalog;
  try {
    cat = await seedCatalog(srv.url, srv.adminToken, { providers: 10, users: 50 });
  } finally {
    await srv.stop();
  }
  const db = await openDb(join(dataDir, 'appt.db'));
  const now = Date.now();
  const endDay = utcMidnight(now) + 20 * DAY;
  const ins = sqliteOf(db).prepare(
    `INSERT INTO appointments (id, user_id, provider_id, service_id, start_at, end_at, block_start, block_end, status,
      price_cents, currency, version, reschedule_count, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 5000, 'USD', 1, 0, ?, ?)`,
  );
  const P = cat.providers.length;
  sqliteOf(db).transaction(() => {
    for (let i = 0; i < n; i++) {
      const p = cat.providers[i % P]!;
      const k = Math.floor(i / P);
      const start = endDay - Math.floor(k / 8) * DAY + (9 + (k % 8)) * HOUR;
      const end = start + 30 * 60_000;
      const user = cat.users[(k + (i % P)) % cat.users.length]!;
      const r = i % 20;
      const status =
        start > now
          ? r === 0
            ? 'cancelled'
            : 'confirmed'
          : r < 3
            ? 'cancelled'
            : r === 3
              ? 'no_show'
              : 'completed';
      ins.run(
        uuidv7(),
        user.id,
        p.id,
        p.serviceId,
        start,
        end,
        start,
        end,
        status,
        start - 7 * DAY,
        start - 7 * DAY,
      );
    }
  })();
  await db.close();
  return { dataDir, cat, appointments: n };
}

/** Slot i of a rotation over every provider's 09:00–16:30 UTC slots, from 25 days ahead. */
function slotBody(cat: SeededCatalog, i: number, firstDay: number) {
  const P = cat.providers.length;
  const p = cat.providers[i % P]!;
  const rest = Math.floor(i / P);
  const start = firstDay + Math.floor(rest / 16) * DAY + 9 * HOUR + (rest % 16) * 30 * 60_000;
  return { providerId: p.id, serviceId: p.serviceId, timeslotId: encodeTimeslotId(p.serviceId, start) };
}

/** One measured target: a URL and the requests autocannon sends to it. */
interface Target {
  name: string;
  url: string;
  requests: CannonRequest[];
}

/** Pools the rounds of one target: req/s over all rounds, median p50/p99 of the rounds. */
function pooled(rs: CannonResult[]): CannonResult {
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const sum = (f: (r: CannonResult) => number) => rs.reduce((a, r) => a + f(r), 0);
  return {
    rps: sum((r) => r.rps) / rs.length,
    p50: med(rs.map((r) => r.p50)),
    p99: med(rs.map((r) => r.p99)),
    total: sum((r) => r.total),
    ok: sum((r) => r.ok),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
  };
}

/**
 * Every target is warmed up, then measured in `rounds` short turns, interleaved, so that
 * a burst of other work on the machine lands on all of them alike rather than on one.
 */
async function interleaved(targets: Target[], o: ApiBenchOptions): Promise<Map<string, CannonResult>> {
  const rounds = Math.max(1, Math.min(o.rounds, Math.floor(o.seconds)));
  const per = o.seconds / rounds;
  for (const t of targets)
    await cannon(t.url, {
      seconds: Math.min(2, o.seconds),
      connections: o.connections,
      requests: t.requests,
    });
  const got = new Map<string, CannonResult[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < rounds; r++)
    for (const t of targets)
      got
        .get(t.name)!
        .push(await cannon(t.url, { seconds: per, connections: o.connections, requests: t.requests }));
  return new Map([...got].map(([k, v]) => [k, pooled(v)]));
}

function readTargets(name: string, url: string, ds: Dataset): Target[] {
  const u = ds.cat.users[0]!;
  const p = ds.cat.providers[0]!;
  const auth = { authorization: `Bearer ${u.token}` };
  const date = new Date(utcMidnight(Date.now()) + 3 * DAY).toISOString().slice(0, 10);
  return [
    {
      name: `list ${name}`,
      url,
      requests: [{ method: 'GET', path: `/users/${u.id}/appointments?limit=20`, headers: auth }],
    },
    {
      name: `availability ${name}`,
      url,
      requests: [
        {
          method: 'GET',
          path: `/providers/${p.id}/availability?serviceId=${p.serviceId}&date=${date}`,
          headers: auth,
        },
      ],
    },
  ];
}

function holdTarget(name: string, url: string, ds: Dataset, keyed: boolean, counter: { n: number }): Target {
  const auth = { authorization: `Bearer ${ds.cat.users[0]!.token}` };
  const firstDay = utcMidnight(Date.now()) + 25 * DAY;
  return {
    name,
    url,
    requests: [
      {
        method: 'POST',
        path: '/reservations',
        headers: { ...auth, 'content-type': 'application/json' },
        setupRequest: (req: any) => {
          const i = counter.n++;
          return {
            ...req,
            ...(keyed ? { headers: { ...req.headers, 'idempotency-key': `bench-${i}` } } : {}),
            body: JSON.stringify(slotBody(ds.cat, i, firstDay)),
          };
        },
      },
    ],
  };
}

function bareWriteTarget(url: string): Target {
  let n = 0;
  const firstDay = utcMidnight(Date.now()) + 25 * DAY;
  return {
    name: 'bare write',
    url,
    requests: [
      {
        method: 'POST',
        path: '/holds',
        headers: { 'content-type': 'application/json' },
        setupRequest: (r: any) => {
          const i = n++;
          const start = firstDay + Math.floor(i / 160) * DAY + 9 * HOUR + (i % 16) * 1_800_000;
          return {
            ...r,
            body: JSON.stringify({
              providerId: `p${Math.floor(i / 16) % 10}`,
              start,
              end: start + 1_800_000,
            }),
          };
        },
      },
    ],
  };
}

const ok = (c: CannonResult) => (c.non2xx || c.errors ? ` (${c.non2xx} non-2xx, ${c.errors} errors)` : '');

export async function runApiBench(o: ApiBenchOptions): Promise<Figure[]> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  log(
    `api bench: ${o.seconds} s per target in ${o.rounds} interleaved rounds, ${o.connections} connections, autocannon in this process, server and baselines in their own processes (127.0.0.1)`,
  );
  log('rate limits: APPT_RATE_LIMIT_USER=0 APPT_RATE_LIMIT_STAFF=0 (both off); synchronous=FULL, WAL');
  log(
    `datasets: ${fmt(o.small)} and ${fmt(o.large)} appointments; catalog via the admin API, appointments inserted directly with SQL (read benchmark)`,
  );
  const small = await buildDataset(o.small, o);
  const dirs = [small.dataDir];
  const procs: { stop(): Promise<unknown> }[] = [];
  try {
    const large = await buildDataset(o.large, o);
    dirs.push(large.dataDir);
    const scratch = mkdtempSync(join(tmpdir(), 'appt-bare-'));
    dirs.push(scratch);
    // the bare read route gets its own copy of the small database: the same rows, no writer
    copyFileSync(join(small.dataDir, 'appt.db'), join(scratch, 'read.db'));
    const env = { env: RATE_ENV, ...(o.bin ? { bin: o.bin } : {}) };
    const s = await startAppt({ dataDir: small.dataDir, ...env });
    procs.push(s);
    const l = await startAppt({ dataDir: large.dataDir, ...env });
    procs.push(l);
    const br = await startBaseline('read', join(scratch, 'read.db'));
    procs.push(br);
    const bw = await startBaseline('write', join(scratch, 'write.db'));
    procs.push(bw);
    const counter = { n: 0 };
    const u0 = small.cat.users[0]!.id;
    const r = await interleaved(
      [
        { name: 'bare read', url: br.url, requests: [{ method: 'GET', path: `/users/${u0}/appointments` }] },
        ...readTargets('small', s.url, small),
        bareWriteTarget(bw.url),
        holdTarget('hold', s.url, small, false, counter),
        holdTarget('hold keyed', s.url, small, true, counter),
        ...readTargets('large', l.url, large),
      ],
      o,
    );
    const g = (k: string) => r.get(k)!;
    const row = (label: string, k: string) => [label, fmt(g(k).rps), fmt(g(k).p50), fmt(g(k).p99) + ok(g(k))];
    log('');
    log(
      table(
        ['run', 'req/s', 'p50 ms', 'p99 ms'],
        [
          row('bare GET 20 rows (prepared stmt)', 'bare read'),
          row('GET /users/{id}/appointments?limit=20', 'list small'),
          row('bare POST check-and-insert tx', 'bare write'),
          row('POST /reservations', 'hold'),
          row('POST /reservations + Idempotency-Key', 'hold keyed'),
          row(`availability (${fmt(o.small)} appts)`, 'availability small'),
          row(`list (${fmt(o.large)} appts)`, 'list large'),
          row(`availability (${fmt(o.large)} appts)`, 'availability large'),
        ],
      ),
    );
    const readRatio = g('list small').rps / g('bare read').rps;
    const writeRatio = g('hold').rps / g('bare write').rps;
    const listGrowth = g('list large').p99 / Math.max(1, g('list small').p99);
    const availGrowth = g('availability large').p99 / Math.max(1, g('availability small').p99);
    const figures: Figure[] = [
      {
        label: 'list ÷ bare 20-row route (req/s)',
        value: readRatio,
        unit: 'x',
        aim: '>= 0.7',
        ok: readRatio >= 0.7,
      },
      {
        label: 'POST /reservations ÷ bare check-and-insert',
        value: writeRatio,
        unit: 'x',
        aim: '>= 0.5',
        ok: writeRatio >= 0.5,
      },
      {
        label: 'POST /reservations with key ÷ bare',
        value: g('hold keyed').rps / g('bare write').rps,
        unit: 'x',
      },
      { label: 'list req/s', value: g('list small').rps, unit: 'req/s' },
      { label: 'bare read req/s', value: g('bare read').rps, unit: 'req/s' },
      { label: 'POST /reservations req/s', value: g('hold').rps, unit: 'req/s' },
      { label: 'bare write req/s', value: g('bare write').rps, unit: 'req/s' },
      { label: 'list p99', value: g('list small').p99, unit: 'ms' },
      { label: 'bare read p99', value: g('bare read').p99, unit: 'ms' },
      { label: 'POST /reservations p99', value: g('hold').p99, unit: 'ms' },
      { label: 'bare write p99', value: g('bare write').p99, unit: 'ms' },
      {
        label: `list p99 ${o.large} ÷ ${o.small} appts`,
        value: listGrowth,
        unit: 'x',
        aim: '<= 1.5',
        ok: listGrowth <= 1.5,
      },
      {
        label: `availability p99 ${o.large} ÷ ${o.small} appts`,
        value: availGrowth,
        unit: 'x',
        aim: '<= 1.5',
        ok: availGrowth <= 1.5,
      },
      { label: `list p99 @${o.small}`, value: g('list small').p99, unit: 'ms' },
      { label: `list p99 @${o.large}`, value: g('list large').p99, unit: 'ms' },
      { label: `availability p99 @${o.small}`, value: g('availability small').p99, unit: 'ms' },
      { label: `availability p99 @${o.large}`, value: g('availability large').p99, unit: 'ms' },
    ];
    log('');
    log(
      table(
        ['ratio', 'value', 'aim'],
        figures
          .filter((f) => f.aim)
          .map((f) => [f.label, fmt(f.value, 2), `${f.aim}${f.ok ? ' ok' : ' MISSED'}`]),
      ),
    );
    return figures;
  } finally {
    for (const p of procs) await p.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

if (isMain(import.meta.url)) {
  const binIdx = process.argv.indexOf('--bin');
  runApiBench({
    seconds: arg('seconds', 9),
    connections: arg('connections', 10),
    small: arg('small', 2_000),
    rounds: arg('rounds', 3),
    large: arg('large', 200_000),
    ...(binIdx > 0 ? { bin: process.argv[binIdx + 1]! } : {}),
  }).then(
    (figures) => printBenchJson({ name: 'api', figures }),
    (err) => {
      process.stderr.write(`api bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
