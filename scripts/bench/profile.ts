import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesByPackage, type GroupBy, readProfile, selfTimes } from './cpuprofile.js';
import { BENCH_ENV, buildDataset } from './dataset.js';
import { arg, cannon, strArg } from './http.js';
import { isMain, projectRoot, startAppt } from './procs.js';
import { fmt, table } from './report.js';
import { Slots } from './writes.js';

/**
 * Where the time goes, named: `node dist/scripts/bench/profile.js server --route list|hold
 * [--seconds 10] [--ram] [--keep]` starts the real server under `node --cpu-prof`, loads one route
 * with autocannon (10 connections, 127.0.0.1) and prints the top self-time functions and
 * packages of the server process; `profile.js start -- <appt args>` profiles one CLI
 * start (`appt list --json`, `appt --version`) the same way, `profile.js tui` one `appt tui`
 * start in tmux up to its first list frame; `profile.js show <file>`
 * prints an existing .cpuprofile. `--keep` leaves the server's .cpuprofile in place (its
 * path is printed) for a closer look in a profiler.
 */

function print(file: string, top: number, root: string, log: (l: string) => void, skipMs = 0) {
  const p = readProfile(file);
  log(
    `${file}: ${fmt((p.endTime - p.startTime) / 1000)} ms profiled${skipMs ? `, the first ${fmt(skipMs)} ms (start-up and seeding) left out` : ''}`,
  );
  for (const by of ['function', 'package'] as GroupBy[]) {
    const rows = selfTimes(p, by, root, skipMs).slice(0, top);
    log(
      table(
        [`self time by ${by}`, 'ms', '%'],
        rows.map((r) => [r.key, fmt(r.ms, 1), fmt(r.share * 100, 1)]),
      ),
    );
    log('');
  }
  const files = filesByPackage(p, root);
  log(
    `files that ran code: ${files.reduce((a, f) => a + f.files, 0)} (${files
      .slice(0, 10)
      .map((f) => `${f.key} ${f.files}`)
      .join(', ')})`,
  );
}

async function profileServer(route: string, seconds: number, ram: boolean, top: number, keep = false) {
  const log = (l: string) => process.stdout.write(`${l}\n`);
  const root = projectRoot();
  const ds = await buildDataset(route === 'list' ? 2_000 : 0, { ...(ram ? { parent: '/dev/shm' } : {}) });
  const profDir = mkdtempSync(join(tmpdir(), 'appt-prof-'));
  try {
    const spawned = performance.now();
    const s = await startAppt({
      dataDir: ds.dataDir,
      env: BENCH_ENV,
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir],
    });
    const u = ds.cat.users[0]!;
    const auth = { authorization: `Bearer ${u.token}` };
    const slots = new Slots(ds);
    const requests =
      route === 'list'
        ? [{ method: 'GET', path: `/users/${u.id}/appointments?limit=20`, headers: auth }]
        : [
            {
              method: 'POST',
              path: '/reservations',
              headers: { ...auth, 'content-type': 'application/json' },
              setupRequest: (req: any) => ({ ...req, body: JSON.stringify(slots.next()) }),
            },
          ];
    const skipMs = performance.now() - spawned;
    const r = await cannon(s.url, { seconds, connections: 10, requests });
    log(
      `${route}: ${fmt(r.rps)} req/s under the profiler, ${JSON.stringify(r.codes)}; database on ${ds.dataDir}`,
    );
    await s.stop('SIGINT');
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the server wrote no profile');
    print(join(profDir, file), top, root, log, skipMs);
  } finally {
    rmSync(ds.dataDir, { recursive: true, force: true });
    if (!keep) rmSync(profDir, { recursive: true, force: true });
  }
}

function profileStart(args: string[], top: number) {
  const root = projectRoot();
  const profDir = mkdtempSync(join(tmpdir(), 'appt-prof-'));
  try {
    const r = spawnSync(
      process.execPath,
      ['--cpu-prof', '--cpu-prof-dir', profDir, join(root, 'bin', 'appt'), ...args],
      {
        encoding: 'utf8',
      },
    );
    process.stdout.write(`appt ${args.join(' ')}: exit ${r.status}\n`);
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file) print(join(profDir, file), top, root, (l) => process.stdout.write(`${l}\n`));
  } finally {
    rmSync(profDir, { recursive: true, force: true });
  }
}

/**
 * One `appt tui` start under the profiler, in tmux against a demo server: from process start
 * to the first list frame, then `q` (the profile is written at exit).
 */
async function profileTui(top: number) {
  const { TmuxSession } = await import('../../test/tmux.js');
  const root = projectRoot();
  const dataDir = mkdtempSync(join(tmpdir(), 'appt-prof-tui-'));
  const home = mkdtempSync(join(tmpdir(), 'appt-prof-tui-home-'));
  const profDir = mkdtempSync(join(tmpdir(), 'appt-prof-'));
  const srv = await startAppt({ dataDir, args: ['--demo'] });
  const t = new TmuxSession('prof-tui', { cols: 100, rows: 30 });
  try {
    const t0 = performance.now();
    t.start(
      [process.execPath, '--cpu-prof', '--cpu-prof-dir', profDir, join(root, 'bin', 'appt'), 'tui'],
      {
        APPT_SERVER: srv.url,
        APPT_TOKEN: srv.adminToken,
        APPT_HOME: home,
        NO_COLOR: '1',
        ...(process.env.APPT_NO_BUNDLE ? { APPT_NO_BUNDLE: process.env.APPT_NO_BUNDLE } : {}),
      },
      root,
    );
    await t.waitFor((s) => /History\s+\d+\/\d+/.test(s) && /^› /m.test(s), 30_000, 2);
    const ms = performance.now() - t0;
    t.send('q');
    for (let i = 0; i < 50 && !readdirSync(profDir).some((f) => f.endsWith('.cpuprofile')); i++)
      await new Promise((r) => setTimeout(r, 100));
    process.stdout.write(
      `appt tui: first list frame after ${fmt(ms)} ms (the profile runs on to the exit)\n`,
    );
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file) print(join(profDir, file), top, root, (l) => process.stdout.write(`${l}\n`));
  } finally {
    t.kill();
    await srv.stop();
    for (const d of [dataDir, home, profDir]) rmSync(d, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const [mode] = process.argv.slice(2);
  const top = arg('top', 15);
  if (mode === 'server')
    void profileServer(
      strArg('route') ?? 'list',
      arg('seconds', 10),
      process.argv.includes('--ram'),
      top,
      process.argv.includes('--keep'),
    ).catch((e) => {
      console.error(e);
      process.exit(1);
    });
  else if (mode === 'start') profileStart(process.argv.slice(process.argv.indexOf('--') + 1), top);
  else if (mode === 'tui')
    void profileTui(top).catch((e) => {
      console.error(e);
      process.exit(1);
    });
  else if (mode === 'show')
    print(process.argv[3]!, top, projectRoot(), (l) => process.stdout.write(`${l}\n`));
  else {
    process.stderr.write(
      'usage: profile.js server --route list|hold [--seconds 10] [--ram] [--keep] | start -- <appt args> | tui | show <file>\n',
    );
    process.exit(2);
  }
}
