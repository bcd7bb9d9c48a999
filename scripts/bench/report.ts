/**
 * The BENCH_JSON convention that lets `npm run bench` gather every script's figures, and the
 * text helpers the scripts print with.
 *
 * Convention: a bench script prints human lines and, as its LAST stdout line,
 * `BENCH_JSON {"name": "...", "figures": [{ "label", "value", "unit", "aim"?, "ok"? }], "notes"?: [] }`.
 */

export interface Figure {
  label: string;
  value: number;
  unit: string;
  /** the aim as text, e.g. ">= 0.7" */
  aim?: string;
  ok?: boolean;
}
export interface BenchReport {
  name: string;
  figures: Figure[];
  notes?: string[];
}
export const BENCH_PREFIX = 'BENCH_JSON ';

export function printBenchJson(r: BenchReport): void {
  process.stdout.write(`${BENCH_PREFIX}${JSON.stringify(r)}\n`);
}

/** The last `BENCH_JSON` line of a script's stdout, or null. */
export function parseBenchJson(stdout: string): BenchReport | null {
  const lines = stdout.split('\n').filter((l) => l.startsWith(BENCH_PREFIX));
  const last = lines[lines.length - 1];
  if (!last) return null;
  try {
    return JSON.parse(last.slice(BENCH_PREFIX.length)) as BenchReport;
  } catch {
    return null;
  }
}

/** A figure with an aim: `aim` is `>= x` or `<= x`, and ok says whether `value` meets it. */
export function aimed(label: string, value: number, unit: string, aim: `${'>=' | '<='} ${number}`): Figure {
  const [op, n] = aim.split(' ') as ['>=' | '<=', string];
  const target = Number(n);
  const ok = Number.isFinite(value) && (op === '>=' ? value >= target : value <= target);
  return { label, value, unit, aim, ok };
}

export const fmt = (n: number, d = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
    : String(n);

/** A fixed-width text table. */
export function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
