import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBaseline } from './baselines.js';
import { api, arg, strArg } from './http.js';
import { BENCH_ENV, buildDataset, DAY, type Dataset, utcMidnight } from './dataset.js';
import { interleaved, type Measured, problems, type Target } from './measure.js';
import { isMain, startAppt } from './procs.js';
import { aimed, type Figure, fmt, printBenchJson, table } from './report.js';

/**
 * Issue 2's and 14's read benchmark: the real server process against a bare Fastify route
 * reading the same 20 rows, side by side in one run — the plain list, the same list
 * revalidated with If-None-Match (304), the list with the server's page cache off (every
 * read runs the page's query: what the first read after a change costs), and how list and
 * availability p99 change from 2,000 to 200,000 appointments (the list's with the page
 * cache off on both sides, so the query's growth is what is measured). Writes are measured
 * by writes.ts. autocannon runs in this process; servers and the baseline are separate
 * processes (127.0.0.1 only).
 */

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

function readTargets(name: string, url: string, pid: number | undefined, ds: Dataset): Target[] {
  const u = ds.cat.users[0]!;
  const p = ds.cat.providers[0]!;
  const auth = { authorization: `Bearer ${u.token}` };
  const date = new Date(utcMidnight(Date.now()) + 3 * DAY).toISOString().slice(0, 10);
  return [
    {
      name: `list ${name}`,
      url,
      ...(pid ? { pid } : {}),
      requests: [{ method: 'GET', path: `/users/${u.id}/appointments?limit=20`, headers: auth }],
    },
    {
      name: `availability ${name}`,
      url,
      ...(pid ? { pid } : {}),
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

/**
 * The list revalidated: the ETag of a first GET sent back as If-None-Match. The list only
 * changes when one of its rows passes `now` (the first row starts within the hour at the
 * earliest), so nearly every answer is a 304; the share is printed.
 */
async function revalidateTarget(url: string, pid: number, ds: Dataset): Promise<Target> {
  const u = ds.cat.users[0]!;
  const path = `/users/${u.id}/appointments?limit=20`;
  const first = await api(url, u.token, 'GET', path);
  const etag = first.headers.get('etag');
  if (first.status !== 200 || !etag) throw new Error(`list gave ${first.status} without an ETag`);
  const again = await api(url, u.token, 'GET', path, undefined, { 'if-none-match': etag });
  if (again.status !== 304) throw new Error(`If-None-Match ${etag} gave ${again.status}, not 304`);
  return {
    name: 'list 304',
    url,
    pid,
    requests: [
      {
        method: 'GET',
        path,
        headers: { authorization: `Bearer ${u.token}`, 'if-none-match': etag },
      },
    ],
  };
}

export async function runApiBench(o: ApiBenchOptions): Promise<Figure[]> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  log(
    `api bench (reads): ${o.seconds} s per target in ${o.rounds} interleaved rounds, ${o.connections} connections, autocannon in this process, server and baseline in their own processes (127.0.0.1)`,
  );
  log('rate limits off (APPT_RATE_LIMIT_USER=0 APPT_RATE_LIMIT_STAFF=0); WAL, synchronous=FULL');
  log(
    `datasets: ${fmt(o.small)} and ${fmt(o.large)} appointments; catalog via the admin API, appointments inserted directly with SQL`,
  );
  const b = o.bin ? { bin: o.bin } : {};
  const small = await buildDataset(o.small, b);
  const dirs = [small.dataDir];
  const procs: { stop(): Promise<unknown> }[] = [];
  try {
    const large = await buildDataset(o.large, b);
    dirs.push(large.dataDir);
    const scratch = mkdtempSync(join(tmpdir(), 'appt-bare-'));
    dirs.push(scratch);
    // the bare read route gets its own copy of the small database: the same rows, no writer
    copyFileSync(join(small.dataDir, 'appt.db'), join(scratch, 'read.db'));
    // the same small dataset for a server without the page cache (APPT_LIST_CACHE_MB=0)
    const uncachedDir = mkdtempSync(join(tmpdir(), 'appt-bench-nocache-'));
    dirs.push(uncachedDir);
    cpSync(small.dataDir, uncachedDir, { recursive: true });
    const noCache = { ...BENCH_ENV, APPT_LIST_CACHE_MB: '0' };
    const s = await startAppt({ dataDir: small.dataDir, env: BENCH_ENV, ...b });
    procs.push(s);
    const n = await startAppt({ dataDir: uncachedDir, env: noCache, ...b });
    procs.push(n);
    const l = await startAppt({ dataDir: large.dataDir, env: noCache, ...b });
    procs.push(l);
    const br = await startBaseline('read', join(scratch, 'read.db'));
    procs.push(br);
    const u0 = small.cat.users[0]!.id;
    const r = await interleaved(
      [
        {
          name: 'bare read',
          url: br.url,
          pid: br.child.pid!,
          requests: [{ method: 'GET', path: `/users/${u0}/appointments` }],
        },
        ...readTargets('small', s.url, s.child.pid, small),
        await revalidateTarget(s.url, s.child.pid!, small),
        readTargets('nocache', n.url, n.child.pid, small)[0]!,
        ...readTargets('large', l.url, l.child.pid, large),
      ],
      o,
    );
    const g = (k: string): Measured => r.get(k)!;
    const bare = g('bare read');
    const row = (label: string, k: string, expected: number[] = []) => [
      label,
      fmt(g(k).rps),
      fmt(g(k).p50),
      fmt(g(k).p99) + problems(g(k), expected),
      fmt(g(k).cpuUs),
      k === 'bare read' ? '1.00' : fmt(g(k).cpuUs / bare.cpuUs, 2),
    ];
    const share304 = (g('list 304').codes['304'] ?? 0) / Math.max(1, g('list 304').total);
    log('');
    log(
      table(
        ['run', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'CPU ÷ bare'],
        [
          row('bare GET 20 rows (prepared stmt)', 'bare read'),
          row('GET /users/{id}/appointments?limit=20', 'list small'),
          row(`same list, If-None-Match (${fmt(share304 * 100, 1)}% 304)`, 'list 304', [304]),
          row('same list, page cache off (every read queries)', 'list nocache'),
          row(`availability (${fmt(o.small)} appts)`, 'availability small'),
          row(`list (${fmt(o.large)} appts, page cache off)`, 'list large'),
          row(`availability (${fmt(o.large)} appts)`, 'availability large'),
        ],
      ),
    );
    const growth = (k: string) =>
      g(`${k} large`).p99 / Math.max(1, g(k === 'list' ? 'list nocache' : `${k} small`).p99);
    const figures: Figure[] = [
      aimed('list ÷ bare 20-row route (req/s)', g('list small').rps / bare.rps, 'x', '>= 0.7'),
      aimed('list revalidated (304) ÷ bare route', g('list 304').rps / bare.rps, 'x', '>= 1'),
      { label: 'list, page cache off ÷ bare route', value: g('list nocache').rps / bare.rps, unit: 'x' },
      { label: 'list, page cache off, CPU per request', value: g('list nocache').cpuUs, unit: 'µs' },
      aimed(`list p99 ${o.large} ÷ ${o.small} appts`, growth('list'), 'x', '<= 1.3'),
      aimed(`availability p99 ${o.large} ÷ ${o.small} appts`, growth('availability'), 'x', '<= 1.3'),
      { label: 'list req/s', value: g('list small').rps, unit: 'req/s' },
      { label: 'list 304 req/s', value: g('list 304').rps, unit: 'req/s' },
      { label: 'list 304 share of answers', value: share304 * 100, unit: '%' },
      { label: 'bare read req/s', value: bare.rps, unit: 'req/s' },
      { label: 'list CPU per request', value: g('list small').cpuUs, unit: 'µs' },
      { label: 'list 304 CPU per request', value: g('list 304').cpuUs, unit: 'µs' },
      { label: 'bare read CPU per request', value: bare.cpuUs, unit: 'µs' },
      { label: 'list p99', value: g('list small').p99, unit: 'ms' },
      { label: 'bare read p99', value: bare.p99, unit: 'ms' },
      { label: `list p99 @${o.small} (page cache off)`, value: g('list nocache').p99, unit: 'ms' },
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

if (isMain(import.meta.url)) {
  const bin = strArg('bin');
  runApiBench({
    seconds: arg('seconds', 9),
    connections: arg('connections', 10),
    small: arg('small', 2_000),
    rounds: arg('rounds', 3),
    large: arg('large', 200_000),
    ...(bin ? { bin } : {}),
  }).then(
    (figures) =>
      printBenchJson({
        name: 'api',
        figures,
        notes: ['2 shared cores; ratios are side by side in one run, absolute figures move with load'],
      }),
    (err) => {
      process.stderr.write(`api bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
