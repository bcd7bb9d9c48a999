import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBenchJson, percentile, table } from './common.js';
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
