import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  aimed,
  api,
  type Figure,
  fmt,
  isMain,
  must,
  pool,
  printBenchJson,
  projectRoot,
  startAppt,
  table,
} from './common.js';

/**
 * Issue 3's benchmark.
 * (1) Cold start with hyperfine in one run: `node -e 0`, `appt --version` and `appt list
 *     --json` (server warm, demo database, 20 rows). Aims: ≤ 1.6× (issue 3) and ≤ 2.0× (issue 14) of node.
 * (2) Bulk throughput: 1,000 cancellations through `appt bulk cancel` (concurrency 16) against
 *     a local server, items/s, and the same 1,000 cancel requests sent by autocannon directly
 *     (16 connections). Server rate limits at their defaults (staff 60,000/min: not reached).
 */

export interface CliBenchOptions {
  bin?: string;
  runs: number;
  items: number;
  concurrency: number;
  log?: (l: string) => void;
}

const require = createRequire(import.meta.url);

function hyperfineAvailable(): boolean {
  return spawnSync('hyperfine', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Books `n` appointments on a fresh 5-minute service (96+ slots a day) through the API. */
async function bookMany(base: string, admin: string, n: number, fromDay: number) {
  const p = await must(
    api(base, admin, 'POST', '/admin/providers', { name: `CLI bench ${fromDay}`, timezone: 'UTC' }),
    201,
  );
  await must(
    api(
      base,
      admin,
      'PUT',
      `/admin/providers/${p.id}/hours`,
      [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '06:00', end: '22:00' })),
    ),
  );
  const s = await must(
    api(base, admin, 'POST', '/admin/services', {
      providerId: p.id,
      title: 'Quick',
      durationMinutes: 5,
      priceCents: 1000,
    }),
    201,
  );
  const u = await must(
    api(base, admin, 'POST', '/admin/users', { name: 'Bench', email: `bench${fromDay}@example.com` }),
    201,
  );
  const slots: string[] = [];
  for (let d = fromDay; slots.length < n; d++) {
    const day = new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
    const av = await must(
      api(base, admin, 'GET', `/providers/${p.id}/availability?serviceId=${s.id}&date=${day}`),
    );
    for (const t of av.timeslots) if (t.status === 'available' && slots.length < n) slots.push(t.id);
  }
  return pool(slots, 16, async (timeslotId, i) => {
    const h = await must(
      api(base, admin, 'POST', '/reservations', {
        providerId: p.id,
        serviceId: s.id,
        timeslotId,
        userId: u.id,
      }),
      201,
    );
    const a = await must(
      api(
        base,
        admin,
        'POST',
        '/bookings',
        { reservationToken: h.reservationToken, userId: u.id },
        { 'idempotency-key': `bench-${fromDay}-${i}` },
      ),
      201,
    );
    return a.id as string;
  });
}

export async function runCliBench(o: CliBenchOptions): Promise<Figure[]> {
  const log = o.log ?? ((l: string) => console.log(l));
  const root = projectRoot();
  const bin = o.bin ?? join(root, 'bin', 'appt');
  const dataDir = mkdtempSync(join(tmpdir(), 'appt-bench-cli-'));
  const home = mkdtempSync(join(tmpdir(), 'appt-bench-cli-home-'));
  const srv = await startAppt({ bin, dataDir, args: ['--demo'] });
  const figures: Figure[] = [];
  try {
    const staff = await must(
      api(srv.url, srv.adminToken, 'POST', '/admin/tokens', { name: 'bench desk', role: 'staff' }),
      201,
    );
    const env = { ...process.env, APPT_HOME: home, NO_COLOR: '1' };
    execFileSync(process.execPath, [bin, 'login', '--server', srv.url, '--token', staff.token], {
      env,
      stdio: 'ignore',
    });
    const rows = JSON.parse(
      execFileSync(process.execPath, [bin, 'list', '--json', '--search', 'a', '--limit', '20'], {
        env,
      }).toString(),
    );
    log(`server ${srv.url}, demo data; list rows: ${rows.items.length}`);

    // (1) cold start
    if (hyperfineAvailable()) {
      const out = join(home, 'hyperfine.json');
      const node = process.execPath;
      execFileSync(
        'hyperfine',
        [
          '-N',
          '--warmup',
          '3',
          '--runs',
          String(o.runs),
          '--export-json',
          out,
          `${node} -e 0`,
          `${node} ${bin} --version`,
          `${node} ${bin} list --json --search a --limit 20`,
        ],
        { env, stdio: ['ignore', 'ignore', 'inherit'] },
      );
      const res = JSON.parse(readFileSync(out, 'utf8')).results as {
        mean: number;
        stddev: number;
        median: number;
      }[];
      const [base, version, list] = res.map((r) => r.mean * 1000);
      log(
        table(
          ['command', 'mean ms', 'median ms', '× node -e 0'],
          [
            ['node -e 0', fmt(base, 1), fmt(res[0].median * 1000, 1), '1.00'],
            ['appt --version', fmt(version, 1), fmt(res[1].median * 1000, 1), fmt(version / base, 2)],
            ['appt list --json (20 rows)', fmt(list, 1), fmt(res[2].median * 1000, 1), fmt(list / base, 2)],
          ],
        ),
      );
      figures.push(
        { label: 'node -e 0', value: base, unit: 'ms' },
        {
          label: 'appt --version / node -e 0',
          value: version / base,
          unit: '×',
          aim: '<= 1.6',
          ok: version / base <= 1.6,
        },
        aimed('appt list --json / node -e 0', list / base, '×', '<= 2'),
      );
      // the same commands from the bundle (APPT_BUNDLE=1), when one is built: bin/appt uses it only for `appt tui`
      if (existsSync(join(root, 'dist', 'bundle', 'cli.mjs'))) {
        const out2 = join(home, 'hyperfine-bundle.json');
        execFileSync(
          'hyperfine',
          [
            '-N',
            '--warmup',
            '3',
            '--runs',
            String(o.runs),
            '--export-json',
            out2,
            `${node} -e 0`,
            `${node} ${bin} --version`,
            `${node} ${bin} list --json --search a --limit 20`,
          ],
          { env: { ...env, APPT_BUNDLE: '1' }, stdio: ['ignore', 'ignore', 'inherit'] },
        );
        const [b2, v2, l2] = (JSON.parse(readFileSync(out2, 'utf8')).results as { mean: number }[]).map(
          (r) => r.mean * 1000,
        );
        log(
          `from the bundle (APPT_BUNDLE=1): node -e 0 ${fmt(b2, 1)} ms, --version ${fmt(v2 / b2, 2)}×, list --json ${fmt(l2 / b2, 2)}×`,
        );
        figures.push(
          { label: 'appt --version / node -e 0, from the bundle', value: v2 / b2, unit: '×' },
          { label: 'appt list --json / node -e 0, from the bundle', value: l2 / b2, unit: '×' },
        );
      }
    } else log('hyperfine not installed (apt-get install -y hyperfine): cold start not measured');

    // (2) bulk throughput: CLI vs autocannon, the same 1,000 cancel requests each
    const forCli = await bookMany(srv.url, srv.adminToken, o.items, 2);
    const forCannon = await bookMany(srv.url, srv.adminToken, o.items, 40);
    const plan = join(home, 'plan.csv');
    writeFileSync(plan, `appointmentId,action\n${forCli.map((id) => `${id},cancel`).join('\n')}\n`);
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [bin, 'bulk', 'cancel', '--file', plan, '--json', '--concurrency', String(o.concurrency)],
      {
        env,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const cliMs = performance.now() - t0;
    const summary = JSON.parse(r.stdout.toString().trim().split('\n').at(-1) ?? '{}');
    if (r.status !== 0 || summary.applied !== o.items) throw new Error(`bulk run failed: ${r.stderr}`);
    const cliRate = o.items / (cliMs / 1000);

    const autocannon = require('autocannon');
    let i = 0;
    const c0 = performance.now();
    const ac: any = await new Promise((resolve, reject) =>
      autocannon(
        {
          url: srv.url,
          connections: o.concurrency,
          amount: o.items,
          requests: [
            {
              method: 'POST',
              setupRequest: (req: any) => {
                const id = forCannon[i++ % forCannon.length];
                return {
                  ...req,
                  path: `/appointments/${id}/cancel`,
                  headers: {
                    authorization: `Bearer ${staff.token}`,
                    'content-type': 'application/json',
                    'idempotency-key': `cannon-${id}`,
                  },
                  body: '{}',
                };
              },
            },
          ],
        },
        (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res)),
      ),
    );
    const acMs = performance.now() - c0;
    const acRate = ac['2xx'] / (acMs / 1000);
    log(
      table(
        ['bulk cancel of 1,000', 'seconds', 'items/s', 'ok'],
        [
          [
            `appt bulk cancel --concurrency ${o.concurrency} (process start included)`,
            fmt(cliMs / 1000, 2),
            fmt(cliRate, 0),
            summary.applied,
          ],
          [
            `autocannon, ${o.concurrency} connections, same requests`,
            fmt(acMs / 1000, 2),
            fmt(acRate, 0),
            ac['2xx'],
          ],
        ],
      ),
    );
    figures.push(
      { label: 'bulk cancel via CLI', value: cliRate, unit: 'items/s' },
      { label: 'bulk cancel via autocannon', value: acRate, unit: 'req/s' },
      { label: 'CLI / autocannon throughput', value: cliRate / acRate, unit: '×' },
    );
  } finally {
    await srv.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
  return figures;
}

if (isMain(import.meta.url)) {
  const arg = (name: string, d: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : d;
  };
  const binAt = process.argv.indexOf('--bin');
  runCliBench({
    runs: arg('runs', 20),
    items: arg('items', 1000),
    concurrency: arg('concurrency', 16),
    ...(binAt > 0 ? { bin: process.argv[binAt + 1] } : {}),
  })
    .then((figures) =>
      printBenchJson({
        name: 'cli',
        figures,
        notes: [
          'rate limits at defaults (staff 60,000/min)',
          '2 shared cores; other work on the machine adds noise',
        ],
      }),
    )
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    });
}
