import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clockTicks, cpuMicrosPerRequest, fsOf, parseStatTicks } from './cpu.js';
import { arg, strArg } from './http.js';
import { benchDatabaseUrl, workerPids, workersFlag } from './pg.js';
import { aimed, parseBenchJson, percentile, table } from './report.js';
import { runBenchScript, summaryTable } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'appt-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const f = join(dir, name);
  writeFileSync(f, body);
  return f;
}

describe('BENCH_JSON convention', () => {
  it('takes the last BENCH_JSON line and ignores broken ones', () => {
    const out = 'hello\nBENCH_JSON {"name":"a","figures":[]}\nmore\nBENCH_JSON {"name":"b","figures":[]}\n';
    expect(parseBenchJson(out)?.name).toBe('b');
    expect(parseBenchJson('no figures here')).toBeNull();
    expect(parseBenchJson('BENCH_JSON {not json')).toBeNull();
  });

  it('runs a script, passes its lines through and reads its figures', async () => {
    const f = script(
      'ok.mjs',
      `console.log('warming up');\nconsole.log('BENCH_JSON ' + JSON.stringify({ name: 'x', figures: [{ label: 'ratio', value: 0.8, unit: 'x', aim: '>= 0.7', ok: true }] }));`,
    );
    const lines: string[] = [];
    const r = await runBenchScript(f, 'x', [], 20, (l) => lines.push(l));
    expect(r.status).toBe('ok');
    expect(lines).toEqual(['[x] warming up']);
    expect(summaryTable([r])).toMatch(/ratio\s+0\.80 x\s+>= 0\.7 ok\n1 of 1 aims met$/);
  });

  it('reports a failing script, a script without figures and one that overruns its bound', async () => {
    const fail = await runBenchScript(script('fail.mjs', 'process.exit(3)'), 'f', [], 20, () => {});
    expect(fail.status).toBe('failed');
    const silent = await runBenchScript(script('silent.mjs', 'console.log("done")'), 's', [], 20, () => {});
    expect(silent.status).toBe('failed');
    const slow = await runBenchScript(
      script('slow.mjs', 'setTimeout(() => {}, 60000)'),
      'z',
      [],
      1,
      () => {},
    );
    expect(slow.status).toBe('timeout');
    expect(summaryTable([fail, slow, { name: 'tui', status: 'missing', report: null, seconds: 0 }])).toMatch(
      /\(failed\)[\s\S]*\(timeout\)[\s\S]*\(not built\)[\s\S]*0 of 0 aims met$/,
    );
  });
});

describe('table and percentile helpers', () => {
  it('aligns columns and picks nearest-rank percentiles', () => {
    expect(
      table(
        ['a', 'n'],
        [
          ['x', 1],
          ['long', 22],
        ],
      ),
    ).toBe('a      n\n----  --\nx      1\nlong  22');
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('CPU and placement parsing', () => {
  it('reads utime+stime from /proc/<pid>/stat even when the command name has spaces and parens', () => {
    // fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 731 42 0 0 20 0 11 0';
    expect(parseStatTicks(stat)).toBe(773);
    expect(parseStatTicks(readFileSync(`/proc/${process.pid}/stat`, 'utf8'))).toBeGreaterThan(0);
    expect(cpuMicrosPerRequest(100, 1000)).toBeCloseTo((100 / clockTicks() / 1000) * 1e6, 6);
    expect(cpuMicrosPerRequest(5, 0)).toBeNaN();
  });

  it('finds the file system of a path by its longest mount point', () => {
    const info = [
      '22 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
      '30 22 0:25 / /dev/shm rw,nosuid - tmpfs tmpfs rw,size=1k',
      '31 22 0:26 / /dev/shmx rw - ext4 /dev/vdb rw',
    ].join('\n');
    expect(fsOf('/dev/shm/appt-1', info)).toEqual({ type: 'tmpfs', mount: '/dev/shm' });
    expect(fsOf('/dev/shmx/a', info)).toEqual({ type: 'ext4', mount: '/dev/shmx' });
    expect(fsOf('/tmp/x', info)).toEqual({ type: 'ext4', mount: '/' });
  });
});

describe('aims and arguments', () => {
  it('marks a figure ok against >= and <= aims, never a NaN', () => {
    expect(aimed('a', 0.7, 'x', '>= 0.7').ok).toBe(true);
    expect(aimed('a', 0.69, 'x', '>= 0.7').ok).toBe(false);
    expect(aimed('b', 1.3, 'x', '<= 1.3').ok).toBe(true);
    expect(aimed('b', Number.NaN, 'x', '<= 1.3').ok).toBe(false);
    expect(aimed('b', 2, 'x', '<= 1.3')).toMatchObject({ aim: '<= 1.3', value: 2, unit: 'x' });
  });

  it('reads --name value arguments with a default', () => {
    const argv = ['node', 'x.js', '--seconds', '3', '--bin', '/b/appt', '--rounds', 'zz'];
    expect(arg('seconds', 9, argv)).toBe(3);
    expect(arg('rounds', 3, argv)).toBe(3);
    expect(arg('connections', 10, argv)).toBe(10);
    expect(strArg('bin', argv)).toBe('/b/appt');
    expect(strArg('url', argv)).toBeUndefined();
  });
});

describe('PostgreSQL bench detection', () => {
  it('takes a postgres URL from the bench or test variable, detects --workers and reads worker pids', () => {
    expect(benchDatabaseUrl({ APPT_BENCH_DATABASE_URL: 'postgres://u@127.0.0.1:5/db' })).toBe(
      'postgres://u@127.0.0.1:5/db',
    );
    expect(benchDatabaseUrl({ APPT_TEST_DATABASE_URL: 'postgresql://x/y' })).toBe('postgresql://x/y');
    expect(benchDatabaseUrl({ APPT_BENCH_DATABASE_URL: 'sqlite:x' })).toBeUndefined();
    expect(benchDatabaseUrl({})).toBeUndefined();
    expect(workersFlag('  --workers <n>   processes serving one port')).toBe(true);
    expect(workersFlag('  --no-jobs  do not run background jobs')).toBe(false);
    expect(workerPids('listening on http://127.0.0.1:7400 (2 workers: pids 101, 102)\n')).toEqual([101, 102]);
    expect(workerPids('listening on http://127.0.0.1:7400\n')).toEqual([]);
  });
});
