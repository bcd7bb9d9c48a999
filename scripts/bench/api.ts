import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { encodeTimeslotId } from '../../server/availability/slots.js';
import { openDb } from '../../server/db/open.js';
import { startBaseline } from './baselines.js';
import {
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
  const db = openDb(join(dataDir, 'appt.db'));
  const now = Date.now();
  const endDay = utcMidnight(now) + 20 * DAY;
  const ins = db.sqlite.prepare(
    `INSERT INTO appointments (id, user_id, provider_id, service_id, start_at, end_at, block_start, block_end, status,
      price_cents, currency, version, reschedule_count, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 5000, 'USD', 1, 0, ?, ?)`,
  );
  const P = cat.providers.length;
  db.sqlite.transaction(() => {
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
  db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  db.sqlite.close();
  return { dataDir, cat, appointments: n };
}

interface ApiRun {
  list: CannonResult;
  availability: CannonResult;
  hold?: CannonResult;
  holdKeyed?: CannonResult;
}

/** Slot i of a rotation over every provider's 09:00–16:30 UTC slots, from 25 days ahead. */
function slotBody(cat: SeededCatalog, i: number, firstDay: number) {
  const P = cat.providers.length;
  const p = cat.providers[i % P]!;
  const rest = Math.floor(i / P);
  const start = firstDay + Math.floor(rest / 16) * DAY + 9 * HOUR + (rest % 16) * 30 * 60_000;
  return { providerId: p.id, serviceId: p.serviceId, timeslotId: encodeTimeslotId(p.serviceId, start) };
}

async function runApi(ds: Dataset, o: ApiBenchOptions, writes: boolean): Promise<ApiRun> {
  const srv = await startAppt({ dataDir: ds.dataDir, env: RATE_ENV, ...(o.bin ? { bin: o.bin } : {}) });
  try {
    const u = ds.cat.users[0]!;
    const p = ds.cat.providers[0]!;
    const auth = { authorization: `Bearer ${u.token}` };
    const date = new Date(utcMidnight(Date.now()) + 3 * DAY).toISOString().slice(0, 10);
    const listReq = [{ method: 'GET', path: `/users/${u.id}/appointments?limit=20`, headers: auth }];
    const availReq = [
      {
        method: 'GET',
        path: `/providers/${p.id}/availability?serviceId=${p.serviceId}&date=${date}`,
        headers: auth,
      },
    ];
    const w = Math.min(2, o.seconds);
    await cannon(srv.url, { seconds: w, connections: o.connections, requests: listReq });
    const list = await cannon(srv.url, { seconds: o.seconds, connections: o.connections, requests: listReq });
    await cannon(srv.url, { seconds: w, connections: o.connections, requests: availReq });
    const availability = await cannon(srv.url, {
      seconds: o.seconds,
      connections: o.connections,
      requests: availReq,
    });
    if (!writes) return { list, availability };
    let n = 0;
    const firstDay = utcMidnight(Date.now()) + 25 * DAY;
    const holdReq = (keyed: boolean) => [
      {
        method: 'POST',
        path: '/reservations',
        headers: { ...auth, 'content-type': 'application/json' },
        setupRequest: (req: any) => {
          const i = n++;
          return {
            ...req,
            ...(keyed ? { headers: { ...req.headers, 'idempotency-key': `bench-${i}` } } : {}),
            body: JSON.stringify(slotBody(ds.cat, i, firstDay)),
          };
        },
      },
    ];
    await cannon(srv.url, { seconds: w, connections: o.connections, requests: holdReq(false) });
    const hold = await cannon(srv.url, {
      seconds: o.seconds,
      connections: o.connections,
      requests: holdReq(false),
    });
    const holdKeyed = await cannon(srv.url, {
      seconds: o.seconds,
      connections: o.connections,
      requests: holdReq(true),
    });
    return { list, availability, hold, holdKeyed };
  } finally {
    await srv.stop();
  }
}

async function runBaseline(kind: 'read' | 'write', dbPath: string, o: ApiBenchOptions, userId: string) {
  const b = await startBaseline(kind, dbPath);
  try {
    let n = 0;
    const firstDay = utcMidnight(Date.now()) + 25 * DAY;
    const req =
      kind === 'read'
        ? [{ method: 'GET', path: `/users/${userId}/appointments` }]
        : [
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
          ];
    await cannon(b.url, { seconds: Math.min(2, o.seconds), connections: o.connections, requests: req });
    return await cannon(b.url, { seconds: o.seconds, connections: o.connections, requests: req });
  } finally {
    await b.stop();
  }
}

const ok = (c: CannonResult) => (c.non2xx || c.errors ? ` (${c.non2xx} non-2xx, ${c.errors} errors)` : '');

export async function runApiBench(o: ApiBenchOptions): Promise<Figure[]> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  log(
    `api bench: ${o.seconds} s per run, ${o.connections} connections, autocannon in this process, server and baselines in their own processes (127.0.0.1)`,
  );
  log(`rate limits: APPT_RATE_LIMIT_USER=0 APPT_RATE_LIMIT_STAFF=0 (both off); synchronous=FULL, WAL`);
  log(
    `datasets: ${fmt(o.small)} and ${fmt(o.large)} appointments; catalog via the admin API, appointments inserted directly with SQL (read benchmark)`,
  );
  const small = await buildDataset(o.small, o);
  const dirs = [small.dataDir];
  try {
    const bareRead = await runBaseline('read', join(small.dataDir, 'appt.db'), o, small.cat.users[0]!.id);
    const a = await runApi(small, o, true);
    const scratch = mkdtempSync(join(tmpdir(), 'appt-bare-'));
    dirs.push(scratch);
    const bareWrite = await runBaseline('write', join(scratch, 'bare.db'), o, '');
    const large = await buildDataset(o.large, o);
    dirs.push(large.dataDir);
    const b = await runApi(large, o, false);

    const rows: (string | number)[][] = [
      [
        'bare GET 20 rows (prepared stmt)',
        fmt(bareRead.rps),
        fmt(bareRead.p50),
        fmt(bareRead.p99) + ok(bareRead),
      ],
      [
        'GET /users/{id}/appointments?limit=20',
        fmt(a.list.rps),
        fmt(a.list.p50),
        fmt(a.list.p99) + ok(a.list),
      ],
      [
        'bare POST check-and-insert tx',
        fmt(bareWrite.rps),
        fmt(bareWrite.p50),
        fmt(bareWrite.p99) + ok(bareWrite),
      ],
      ['POST /reservations', fmt(a.hold!.rps), fmt(a.hold!.p50), fmt(a.hold!.p99) + ok(a.hold!)],
      [
        'POST /reservations + Idempotency-Key',
        fmt(a.holdKeyed!.rps),
        fmt(a.holdKeyed!.p50),
        fmt(a.holdKeyed!.p99) + ok(a.holdKeyed!),
      ],
      [
        `availability (${fmt(o.small)} appts)`,
        fmt(a.availability.rps),
        fmt(a.availability.p50),
        fmt(a.availability.p99),
      ],
      [`list (${fmt(o.large)} appts)`, fmt(b.list.rps), fmt(b.list.p50), fmt(b.list.p99) + ok(b.list)],
      [
        `availability (${fmt(o.large)} appts)`,
        fmt(b.availability.rps),
        fmt(b.availability.p50),
        fmt(b.availability.p99),
      ],
    ];
    log('');
    log(table(['run', 'req/s', 'p50 ms', 'p99 ms'], rows));
    const readRatio = a.list.rps / bareRead.rps;
    const writeRatio = a.hold!.rps / bareWrite.rps;
    const listGrowth = b.list.p99 / Math.max(1, a.list.p99);
    const availGrowth = b.availability.p99 / Math.max(1, a.availability.p99);
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
      { label: 'POST /reservations with key ÷ bare', value: a.holdKeyed!.rps / bareWrite.rps, unit: 'x' },
      { label: 'list req/s', value: a.list.rps, unit: 'req/s' },
      { label: 'bare read req/s', value: bareRead.rps, unit: 'req/s' },
      { label: 'POST /reservations req/s', value: a.hold!.rps, unit: 'req/s' },
      { label: 'bare write req/s', value: bareWrite.rps, unit: 'req/s' },
      { label: 'list p99', value: a.list.p99, unit: 'ms' },
      { label: 'POST /reservations p99', value: a.hold!.p99, unit: 'ms' },
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
      { label: `list p99 @${o.small}`, value: a.list.p99, unit: 'ms' },
      { label: `list p99 @${o.large}`, value: b.list.p99, unit: 'ms' },
      { label: `availability p99 @${o.small}`, value: a.availability.p99, unit: 'ms' },
      { label: `availability p99 @${o.large}`, value: b.availability.p99, unit: 'ms' },
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
    seconds: arg('seconds', 6),
    connections: arg('connections', 10),
    small: arg('small', 2_000),
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
