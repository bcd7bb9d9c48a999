import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TmuxSession, tmuxAvailable } from '../../test/tmux.js';
import {
  aimed,
  type Figure,
  fmt,
  isMain,
  percentile,
  printBenchJson,
  projectRoot,
  startAppt,
  table,
} from './common.js';

/**
 * Issue 5's benchmark, measured in the tmux harness against the real server on the demo
 * database (~2,000 appointments): (1) time from starting `appt tui` to the first frame with
 * list rows, (2) key press → next frame while scrolling a long list (a search across every
 * day, loaded 50 rows a page while scrolling). A frame counts as drawn when `capture-pane`
 * shows it, so both figures include tmux's own send/capture cost (a few ms).
 */
export interface TuiBenchOptions {
  starts: number;
  presses: number;
  bin?: string;
  log?: (line: string) => void;
}

/** The list's position counter in the tab line: `Upcoming  History  12/181`. */
const ROW = /History\s+(\d+)\/(\d+)/;
/** A first list frame: the counter and a selected row. */
const LISTED = (s: string) => ROW.test(s) && /^› /m.test(s);

/** The same key → frame loop against a bare Ink counter: what tmux + Ink cost by themselves. */
async function baseline(root: string, dir: string, presses: number): Promise<number[]> {
  const ink = pathToFileURL(join(root, 'node_modules', 'ink', 'build', 'index.js')).href;
  const react = pathToFileURL(join(root, 'node_modules', 'react', 'index.js')).href;
  const file = join(dir, 'ink-baseline.mjs');
  writeFileSync(
    file,
    `import { render, Text, useInput, useApp } from '${ink}';
import React from '${react}';
function A() {
  const [n, setN] = React.useState(1);
  const { exit } = useApp();
  useInput((i) => { if (i === 'q') exit(); else setN((x) => x + i.length); });
  return React.createElement(Text, null, 'History  ' + n + '/1');
}
render(React.createElement(A), { maxFps: 60 });
`,
  );
  const t = new TmuxSession('baseline', { cols: 100, rows: 30 });
  try {
    t.start([process.execPath, file], { NODE_ENV: 'production' }, root);
    await t.waitFor(ROW, 30_000);
    const lat: number[] = [];
    for (let i = 0; i < presses; i++) {
      const t0 = performance.now();
      t.send('j', true);
      await t.waitFor((s) => Number(ROW.exec(s)?.[1]) >= i + 2, 10_000, 0);
      lat.push(performance.now() - t0);
    }
    t.send('q');
    return lat.sort((a, b) => a - b);
  } finally {
    t.kill();
  }
}

export async function runTuiBench(o: TuiBenchOptions): Promise<Figure[]> {
  const log = o.log ?? ((l: string) => console.log(l));
  const root = projectRoot();
  const bin = o.bin ?? join(root, 'bin', 'appt');
  const dataDir = mkdtempSync(join(tmpdir(), 'appt-bench-tui-'));
  const home = mkdtempSync(join(tmpdir(), 'appt-bench-tui-home-'));
  const srv = await startAppt({ bin, dataDir, args: ['--demo'] });
  const env = { APPT_SERVER: srv.url, APPT_TOKEN: srv.adminToken, APPT_HOME: home, NO_COLOR: '1' };
  // every tmux server this run starts, so a failed run leaves none behind
  const sessions: TmuxSession[] = [];
  const session = (name: string) => {
    const t = new TmuxSession(name, { cols: 100, rows: 30 });
    sessions.push(t);
    return t;
  };
  try {
    // (1) start → first list frame; with a bundle built, alternately without it (APPT_NO_BUNDLE=1)
    const bundled = existsSync(join(root, 'dist', 'bundle', 'cli.mjs'));
    const starts: number[] = [];
    const unbundled: number[] = [];
    for (let i = 0; i < o.starts * (bundled ? 2 : 1); i++) {
      const plain = bundled && i % 2 === 1;
      const t = session(`start${i}`);
      const t0 = performance.now();
      t.start([process.execPath, bin, 'tui'], plain ? { ...env, APPT_NO_BUNDLE: '1' } : env, root);
      await t.waitFor(LISTED, 30_000, 2);
      (plain ? unbundled : starts).push(performance.now() - t0);
      t.send('q');
      t.kill();
    }
    unbundled.sort((a, b) => a - b);
    starts.sort((a, b) => a - b);

    // (2) key → frame while scrolling a long list
    const t = session('scroll');
    t.start([process.execPath, bin, 'tui'], env, root);
    await t.waitFor(ROW, 30_000);
    t.send('/');
    await t.waitFor('Search customer or provider:');
    // Ink attaches a new component's key handler just after its first frame; give it a moment
    await new Promise((r) => setTimeout(r, 200));
    t.send('a', true);
    t.send('Enter');
    await t.waitFor(/search “a”.*History\s+1\//, 15_000);
    const lat: number[] = [];
    let row = 1;
    for (let i = 0; i < o.presses; i++) {
      const want = row + 1;
      const t0 = performance.now();
      t.send('j', true);
      const screen = await t.waitFor(
        (s) => {
          const m = ROW.exec(s);
          return !!m && Number(m[1]) >= want;
        },
        10_000,
        0,
      );
      lat.push(performance.now() - t0);
      row = Number(ROW.exec(screen)![1]);
    }
    const total = ROW.exec(t.capture())?.[2] ?? '?';
    t.send('q');
    t.kill();
    lat.sort((a, b) => a - b);
    const base = await baseline(root, home, o.presses);
    const figures: Figure[] = [
      aimed('start → first list frame (median)', Math.round(percentile(starts, 50)), 'ms', '<= 1000'),
      { label: 'start → first list frame (max)', value: Math.round(starts[starts.length - 1]!), unit: 'ms' },
      ...(bundled
        ? [
            {
              label: 'start → first list frame without the bundle (median)',
              value: Math.round(percentile(unbundled, 50)),
              unit: 'ms',
            },
          ]
        : []),
      { label: 'key → frame while scrolling p50', value: +percentile(lat, 50).toFixed(1), unit: 'ms' },
      aimed('key → frame while scrolling p99', +percentile(lat, 99).toFixed(1), 'ms', '<= 50'),
      {
        label: 'baseline: bare Ink counter key → frame p50',
        value: +percentile(base, 50).toFixed(1),
        unit: 'ms',
      },
      {
        label: 'baseline: bare Ink counter key → frame p99',
        value: +percentile(base, 99).toFixed(1),
        unit: 'ms',
      },
    ];
    log(
      table(
        ['figure', 'value'],
        figures.map((f) => [f.label, `${fmt(f.value, 1)} ${f.unit}`]),
      ),
    );
    log(`${o.starts} starts; ${o.presses} presses scrolling to row ${row} of ${total} loaded (50 a page)`);
    return figures;
  } finally {
    for (const t of sessions) t.kill();
    await srv.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  if (!tmuxAvailable()) {
    console.log('tmux not installed: the TUI benchmark needs it');
    printBenchJson({ name: 'tui', figures: [], notes: ['tmux not installed'] });
  } else {
    const arg = (n: string, d: number) => {
      const i = process.argv.indexOf(`--${n}`);
      return i > 0 ? Number(process.argv[i + 1]) : d;
    };
    const b = process.argv.indexOf('--bin');
    runTuiBench({
      starts: arg('starts', 5),
      presses: arg('presses', 200),
      ...(b > 0 ? { bin: process.argv[b + 1]! } : {}),
    }).then(
      (figures) =>
        printBenchJson({ name: 'tui', figures, notes: ['measured with tmux capture-pane polling'] }),
      (e) => {
        console.error(e);
        process.exitCode = 1;
      },
    );
  }
}
