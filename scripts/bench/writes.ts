import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startBaseline } from './baselines.js';
import { type Placement, placements } from './cpu.js';
import {
  BENCH_ENV,
  buildDataset,
  DAY,
  type Dataset,
  HOUR,
  slotBody,
  slotCapacity,
  utcMidnight,
} from './dataset.js';
import { arg, cannon, strArg } from './http.js';
import { interleaved, type Measured, problems, type Target } from './measure.js';
import { isMain, projectRoot, startAppt } from './procs.js';
import { aimed, type Figure, fmt, printBenchJson, table } from './report.js';

/**
 * Issue 14's write benchmark, "Measuring writes": every write ratio twice in one run — with
 * both databases (ours and the bare route's) on the data disk, then both on the RAM disk
 * (/dev/shm, where fsync costs nothing) — and beside each throughput the CPU time the
 * serving process spent per request, read from /proc/<pid>/stat for our server and for the
 * bare route's process alike. Targets, interleaved in rounds per placement:
 * - bare: POST /holds, one BEGIN IMMEDIATE check-and-insert (baselines.ts), synchronous=FULL;
 * - POST /reservations, unkeyed and with an Idempotency-Key, each on a distinct free slot;
 * - keyed POST /bookings, each consuming a hold of its own.
 *
 * How the booking is measured: a booking needs a fresh hold, so before each booking turn
 * the holds it will consume are created (as many as the last turn managed in its time,
 * 200 the first time), outside the measured window and outside the CPU reading; the turn
 * then sends exactly one keyed booking per hold. The figure is the booking alone, compared
 * with the same one-transaction bare route as every other write (the issue's "÷ bare"). A
 * hold+book pair against a bare two-transaction pair would fold the hold's cost (measured
 * on its own above) into the booking's and hide which of the two is slow.
 */

export interface WriteBenchOptions {
  seconds: number;
  rounds: number;
  connections: number;
  bin?: string;
  log?: (l: string) => void;
}

const FIRST_DAY = () => utcMidnight(Date.now()) + 25 * DAY;

/** Distinct slots for every hold of one dataset, whichever target takes them. */
export class Slots {
  private n = 0;
  private readonly first = FIRST_DAY();
  constructor(private readonly ds: Dataset) {}
  next() {
    if (this.n >= slotCapacity(this.ds.cat)) throw new Error('ran out of distinct slots: shorten the run');
    return slotBody(this.ds.cat, this.n++, this.first);
  }
}

export function holdTarget(
  name: string,
  url: string,
  pid: number | number[],
  ds: Dataset,
  keyed: boolean,
  slots: Slots,
): Target {
  let k = 0;
  return {
    name,
    url,
    pid,
    requests: [
      {
        method: 'POST',
        path: '/reservations',
        headers: { authorization: `Bearer ${ds.cat.users[0]!.token}`, 'content-type': 'application/json' },
        setupRequest: (req: any) => ({
          ...req,
          ...(keyed
            ? { headers: { ...req.headers, 'idempotency-key': `bench-hold-${process.pid}-${k++}` } }
            : {}),
          body: JSON.stringify(slots.next()),
        }),
      },
    ],
  };
}

/** Keyed bookings, each on a hold created just before the turn (see the file comment). */
function bookTarget(url: string, pid: number, ds: Dataset, slots: Slots, connections: number): Target {
  const user = ds.cat.users[1]!;
  const auth = { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' };
  // the holds of the coming turn, and the pace of the last turn (which sizes the next)
  const st = { tokens: [] as string[], rps: 0, booked: 0, since: 0, key: 0 };
  return {
    name: 'book keyed',
    url,
    pid,
    async prepare(seconds) {
      const want = Math.max(200, Math.min(20_000, Math.round(st.rps * seconds)));
      st.tokens = [];
      const made = await cannon(url, {
        seconds,
        connections,
        amount: want,
        requests: [
          {
            method: 'POST',
            path: '/reservations',
            headers: auth,
            setupRequest: (req: any) => ({ ...req, body: JSON.stringify(slots.next()) }),
            onResponse: (status: number, body: string) => {
              if (status === 201) st.tokens.push(JSON.parse(body).reservationToken);
            },
          },
        ],
      });
      if (st.tokens.length < want * 0.9)
        throw new Error(`only ${st.tokens.length} of ${want} holds made: ${JSON.stringify(made.codes)}`);
      st.booked = 0;
      st.since = performance.now();
      return st.tokens.length;
    },
    requests: [
      {
        method: 'POST',
        path: '/bookings',
        headers: auth,
        setupRequest: (req: any) => ({
          ...req,
          headers: { ...req.headers, 'idempotency-key': `bench-book-${process.pid}-${st.key++}` },
          body: JSON.stringify({ reservationToken: st.tokens.pop(), userId: user.id }),
        }),
        onResponse: () => {
          st.booked++;
          st.rps = st.booked / Math.max(0.001, (performance.now() - st.since) / 1000);
        },
      },
    ],
  };
}

function bareWriteTarget(url: string, pid: number): Target {
  let n = 0;
  const firstDay = FIRST_DAY();
  return {
    name: 'bare write',
    url,
    pid,
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

const ROWS: [string, string][] = [
  ['bare POST check-and-insert tx', 'bare write'],
  ['POST /reservations', 'hold'],
  ['POST /reservations + Idempotency-Key', 'hold keyed'],
  ['POST /bookings + Idempotency-Key (own hold each)', 'book keyed'],
];

async function onePlacement(pl: Placement, o: WriteBenchOptions): Promise<Figure[]> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const ds = await buildDataset(0, { parent: pl.dir, providers: 20, ...(o.bin ? { bin: o.bin } : {}) });
  const scratch = mkdtempSync(join(pl.dir, 'appt-bare-'));
  const procs: { stop(): Promise<unknown> }[] = [];
  try {
    const s = await startAppt({ dataDir: ds.dataDir, env: BENCH_ENV, ...(o.bin ? { bin: o.bin } : {}) });
    procs.push(s);
    const bw = await startBaseline('write', join(scratch, 'write.db'));
    procs.push(bw);
    const slots = new Slots(ds);
    const pid = s.child.pid!;
    const r = await interleaved(
      [
        bareWriteTarget(bw.url, bw.child.pid!),
        holdTarget('hold', s.url, pid, ds, false, slots),
        holdTarget('hold keyed', s.url, pid, ds, true, slots),
        bookTarget(s.url, pid, ds, slots, o.connections),
      ],
      o,
    );
    const g = (k: string): Measured => r.get(k)!;
    const bare = g('bare write');
    log('');
    log(`${pl.name}: ${pl.dir} (${pl.fs.type} on ${pl.fs.mount}); both databases there`);
    log(
      table(
        ['run', 'req/s', '÷ bare', 'p50 ms', 'p99 ms', 'CPU µs/req', 'CPU ÷ bare'],
        ROWS.map(([label, k]) => [
          label,
          fmt(g(k).rps),
          fmt(g(k).rps / bare.rps, 2),
          fmt(g(k).p50),
          fmt(g(k).p99) + problems(g(k)),
          fmt(g(k).cpuUs),
          fmt(g(k).cpuUs / bare.cpuUs, 2),
        ]),
      ),
    );
    log(`answers: ${ROWS.map(([, k]) => `${k} ${JSON.stringify(g(k).codes)}`).join('; ')}`);
    const at = ` [${pl.name}]`;
    const figures: Figure[] = [
      aimed(`POST /reservations ÷ bare check-and-insert${at}`, g('hold').rps / bare.rps, 'x', '>= 0.6'),
      aimed(`keyed POST /reservations ÷ bare${at}`, g('hold keyed').rps / bare.rps, 'x', '>= 0.5'),
      aimed(`keyed POST /bookings ÷ bare${at}`, g('book keyed').rps / bare.rps, 'x', '>= 0.5'),
    ];
    for (const [label, k] of ROWS) {
      figures.push({ label: `${label} req/s${at}`, value: g(k).rps, unit: 'req/s' });
      figures.push({ label: `${label} CPU per request${at}`, value: g(k).cpuUs, unit: 'µs' });
      if (k !== 'bare write')
        figures.push({ label: `${label} CPU ÷ bare CPU${at}`, value: g(k).cpuUs / bare.cpuUs, unit: 'x' });
    }
    return figures;
  } finally {
    for (const p of procs) await p.stop();
    rmSync(ds.dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

export async function runWriteBench(o: WriteBenchOptions): Promise<{ figures: Figure[]; notes: string[] }> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const pls = placements(projectRoot());
  log(
    `write bench: ${o.seconds} s per target in ${o.rounds} interleaved rounds, ${o.connections} connections, per placement: ${pls.map((p) => `${p.name} ${p.dir} (${p.fs.type})`).join(', ')}`,
  );
  log(
    'rate limits and the per-customer hold cap off; WAL, synchronous=FULL on both sides; CPU from /proc/<pid>/stat',
  );
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const pl of pls) figures.push(...(await onePlacement(pl, o)));
  if (!pls.some((p) => p.name === 'RAM disk')) notes.push('no RAM disk (/dev/shm tmpfs) on this machine');
  return { figures, notes };
}

if (isMain(import.meta.url)) {
  const bin = strArg('bin');
  runWriteBench({
    seconds: arg('seconds', 9),
    rounds: arg('rounds', 3),
    connections: arg('connections', 10),
    ...(bin ? { bin } : {}),
  }).then(
    ({ figures, notes }) =>
      printBenchJson({
        name: 'writes',
        figures,
        notes: [...notes, '2 shared cores; CPU per request does not move with disk load, throughput does'],
      }),
    (err) => {
      process.stderr.write(`write bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
