import { cpuMicrosPerRequest, cpuTicks } from './cpu.js';
import { type CannonRequest, type CannonResult, cannon } from './http.js';

/**
 * Interleaved measurement of several targets in one run: each is warmed up, then measured
 * in short turns, round-robin, so a burst of other work on the machine lands on all of them
 * alike. Beside throughput and latency, the CPU time the serving process spent per request
 * (utime+stime from /proc/<pid>/stat before and after each turn, divided by the responses).
 */

export interface Target {
  name: string;
  url: string;
  /** the process(es) serving `url`, whose CPU is read (summed); omitted: not read */
  pid?: number | number[];
  requests: CannonRequest[];
  /**
   * Work before each turn, outside the measured window and outside the CPU reading (e.g.
   * creating the holds a booking turn consumes). Returns how many requests the turn sends:
   * the turn then runs for that many requests instead of for a time.
   */
  prepare?: (seconds: number) => Promise<number>;
}

export interface Measured extends CannonResult {
  /** CPU µs the serving process spent per response over every measured turn */
  cpuUs: number;
}

export interface MeasureOptions {
  /** measured seconds per target, split over `rounds` turns */
  seconds: number;
  rounds: number;
  connections: number;
  warmupSeconds?: number;
}

/** Pools the turns of one target: req/s over all turns, median p50/p99 of the turns. */
export function pooled(rs: CannonResult[]): CannonResult {
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const sum = (f: (r: CannonResult) => number) => rs.reduce((a, r) => a + f(r), 0);
  const codes: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.codes)) codes[k] = (codes[k] ?? 0) + v;
  return {
    rps:
      sum((r) => r.total) /
      Math.max(
        1e-9,
        sum((r) => r.seconds),
      ),
    p50: med(rs.map((r) => r.p50)),
    p99: med(rs.map((r) => r.p99)),
    total: sum((r) => r.total),
    ok: sum((r) => r.ok),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    seconds: sum((r) => r.seconds),
    codes,
  };
}

async function turn(t: Target, seconds: number, connections: number): Promise<[CannonResult, number]> {
  const amount = t.prepare ? await t.prepare(seconds) : undefined;
  const pids = t.pid === undefined ? [] : Array.isArray(t.pid) ? t.pid : [t.pid];
  const cpu = () => pids.reduce((a, p) => a + cpuTicks(p), 0);
  const before = cpu();
  const r = await cannon(t.url, {
    seconds,
    connections,
    requests: t.requests,
    ...(amount ? { amount } : {}),
  });
  return [r, pids.length ? cpu() - before : Number.NaN];
}

export async function interleaved(targets: Target[], o: MeasureOptions): Promise<Map<string, Measured>> {
  const rounds = Math.max(1, Math.min(o.rounds, Math.floor(o.seconds)));
  const per = o.seconds / rounds;
  for (const t of targets) await turn(t, Math.min(o.warmupSeconds ?? 2, o.seconds), o.connections);
  const got = new Map<string, { rs: CannonResult[]; ticks: number }>(
    targets.map((t) => [t.name, { rs: [], ticks: 0 }]),
  );
  for (let r = 0; r < rounds; r++)
    for (const t of targets) {
      const [res, ticks] = await turn(t, per, o.connections);
      const g = got.get(t.name)!;
      g.rs.push(res);
      g.ticks += ticks;
    }
  return new Map(
    [...got].map(([k, v]) => {
      const p = pooled(v.rs);
      return [k, { ...p, cpuUs: cpuMicrosPerRequest(v.ticks, p.total) }];
    }),
  );
}

/** ` (n non-2xx, m errors)` when a run had any, for the tables. */
export const problems = (c: CannonResult, expected: number[] = []) => {
  const other = Object.entries(c.codes)
    .filter(([k]) => !k.startsWith('2') && !expected.includes(Number(k)))
    .reduce((a, [, v]) => a + v, 0);
  return other || c.errors ? ` (${other} unexpected non-2xx, ${c.errors} errors)` : '';
};
