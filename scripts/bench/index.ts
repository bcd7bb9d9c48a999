import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchReport, fmt, isMain, parseBenchJson, table } from './common.js';

/**
 * `npm run bench`: runs every benchmark script that has been built (dist/scripts/bench/<name>.js),
 * one after another so they do not share the two cores, each in its own process with a time
 * bound, passes its output through, and ends with one summary table of every figure.
 *
 * Convention for a bench script: human lines on stdout, and as its LAST stdout line
 * `BENCH_JSON {"name","figures":[{"label","value","unit","aim"?,"ok"?}],"notes"?}`.
 */

export const BENCHES: { name: string; what: string; timeoutS: number; passArgs?: boolean }[] = [
  {
    name: 'api',
    what: 'reads: list and 304 vs bare Fastify, 2k vs 200k appointments',
    timeoutS: 420,
    passArgs: true,
  },
  {
    name: 'writes',
    what: 'writes vs bare check-and-insert, data disk and RAM disk, CPU per request',
    timeoutS: 420,
    passArgs: true,
  },
  { name: 'pg', what: 'PostgreSQL beside SQLite, 1 and 2 workers', timeoutS: 420, passArgs: true },
  { name: 'realtime', what: 'realtime fan-out latency', timeoutS: 240 },
  {
    name: 'notify',
    what: 'email delivery end to end: bookings over HTTP → outbox → a local SMTP server (no aim)',
    timeoutS: 150,
  },
  {
    name: 'cli',
    what: 'CLI cold start vs node -e 0 (with and without the bundle), bulk CLI vs direct HTTP',
    timeoutS: 300,
    passArgs: true,
  },
  {
    name: 'tui',
    what: 'TUI start and frame time (with and without the bundle)',
    timeoutS: 300,
    passArgs: true,
  },
];

export interface BenchRun {
  name: string;
  status: 'ok' | 'failed' | 'timeout' | 'missing';
  report: BenchReport | null;
  seconds: number;
}

/** Runs one compiled bench script as a child process, echoing its output with a prefix. */
export function runBenchScript(
  file: string,
  name: string,
  args: string[],
  timeoutS: number,
  out: (l: string) => void,
): Promise<BenchRun> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let partial = '';
    let timedOut = false;
    const onData = (d: Buffer) => {
      const text = partial + d.toString();
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (!l.startsWith('BENCH_JSON ')) out(`[${name}] ${l}`);
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onData(d);
    });
    child.stderr.on('data', (d: Buffer) => out(`[${name}] ${d.toString().trimEnd()}`));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (partial && !partial.startsWith('BENCH_JSON ')) out(`[${name}] ${partial}`);
      const report = parseBenchJson(stdout);
      resolve({
        name,
        status: timedOut ? 'timeout' : code === 0 && report ? 'ok' : 'failed',
        report,
        seconds: (Date.now() - t0) / 1000,
      });
    });
  });
}

export function summaryTable(runs: BenchRun[]): string {
  const rows: string[][] = [];
  let aims = 0;
  let met = 0;
  for (const r of runs) {
    if (!r.report) {
      rows.push([r.name, r.status === 'missing' ? '(not built)' : `(${r.status})`, '', '']);
      continue;
    }
    for (const f of r.report.figures) {
      if (f.aim) {
        aims++;
        if (f.ok) met++;
      }
      const v = f.unit === 'x' ? fmt(f.value, 2) : fmt(f.value, f.value < 10 ? 2 : 0);
      rows.push([r.name, f.label, `${v} ${f.unit}`, f.aim ? `${f.aim}${f.ok ? ' ok' : ' MISSED'}` : '']);
    }
  }
  return `${table(['bench', 'figure', 'value', 'aim'], rows)}\n${met} of ${aims} aims met`;
}

export async function main(argv: string[]): Promise<number> {
  const out = (l: string) => process.stdout.write(`${l}\n`);
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1]?.split(',') : undefined;
  const pass = argv.filter((a, i) => a !== '--only' && argv[i - 1] !== '--only');
  const here = dirname(fileURLToPath(import.meta.url));
  out(`appt bench — node ${process.version}, ${new Date().toISOString()}`);
  const runs: BenchRun[] = [];
  for (const b of BENCHES) {
    if (only && !only.includes(b.name)) continue;
    const file = join(here, `${b.name}.js`);
    if (!existsSync(file)) {
      out(`\n== ${b.name}: ${b.what} — not built (${file} missing), skipped`);
      runs.push({ name: b.name, status: 'missing', report: null, seconds: 0 });
      continue;
    }
    out(`\n== ${b.name}: ${b.what} (bound ${b.timeoutS} s)`);
    const r = await runBenchScript(file, b.name, b.passArgs ? pass : [], b.timeoutS, out);
    out(`== ${b.name}: ${r.status} in ${r.seconds.toFixed(0)} s`);
    runs.push(r);
  }
  out('\nSummary');
  out(summaryTable(runs));
  return runs.some((r) => r.status === 'failed' || r.status === 'timeout') ? 1 : 0;
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
