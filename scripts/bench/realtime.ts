import { readFileSync, rmSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import {
  api,
  type Figure,
  fmt,
  isMain,
  must,
  percentile,
  printBenchJson,
  seedCatalog,
  sleep,
  startAppt,
  table,
} from './common.js';

/**
 * Issue 4's benchmark: N concurrent raw `ws` subscribers (Pusher protocol 7, as pusher-js
 * speaks it) on one provider's availability channel of the real server process on
 * 127.0.0.1. Each round holds a slot with POST /reservations and measures the time until
 * every subscriber has received the `timeslot.updated` it causes; rounds use different days
 * so the per-provider/date coalescing window never delays them (the first change of a quiet
 * day goes out at once). Also: server RSS growth per connection. Subscribers run in this
 * process, so they share the machine's cores with the server.
 */

export interface RealtimeBenchOptions {
  clients: number;
  rounds: number;
  /** hard bound on the whole run */
  deadlineS: number;
  bin?: string;
  log?: (line: string) => void;
}

interface Sub {
  ws: WebSocket;
  /** round date → ms (performance.now) when its message arrived */
  got: Map<string, number>;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

/** Median of a few RSS samples: one sample can land just before or after a GC. */
async function settledRssKb(pid: number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) {
    xs.push(rssKb(pid));
    await sleep(200);
  }
  return xs.sort((a, b) => a - b)[2];
}

function connectOne(url: string, channel: string, onDate: (s: Sub, date: string) => void): Promise<Sub> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const sub: Sub = { ws, got: new Map() };
    const t = setTimeout(() => {
      ws.terminate();
      reject(new Error('subscriber did not get subscribed within 20 s'));
    }, 20_000);
    ws.on('message', (raw) => {
      const text = raw.toString();
      if (text.includes('"timeslot.updated"')) {
        // the date is all we need; a cheap scan keeps the client side out of the figures
        const m = /\\"date\\":\\"(\d{4}-\d{2}-\d{2})\\"/.exec(text);
        if (m) onDate(sub, m[1]);
        return;
      }
      const f = JSON.parse(text) as { event: string };
      if (f.event === 'pusher:connection_established')
        ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel } }));
      else if (f.event === 'pusher_internal:subscription_succeeded') {
        clearTimeout(t);
        resolve(sub);
      } else if (f.event === 'pusher:error' || f.event === 'pusher:subscription_error') {
        clearTimeout(t);
        reject(new Error(`refused: ${text}`));
      }
    });
    ws.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

export async function runRealtimeBench(o: RealtimeBenchOptions) {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const deadline = Date.now() + o.deadlineS * 1000;
  const left = () => {
    if (Date.now() > deadline) throw new Error(`bench exceeded its ${o.deadlineS} s bound`);
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'appt-bench-rt-'));
  const srv = await startAppt({
    dataDir,
    ...(o.bin ? { bin: o.bin } : {}),
    env: { APPT_RATE_LIMIT_USER: '0', APPT_RATE_LIMIT_STAFF: '0' },
  });
  const subs: Sub[] = [];
  try {
    const cat = await seedCatalog(srv.url, srv.adminToken, { providers: 1, users: 1, zones: ['UTC'] });
    const p = cat.providers[0];
    const conf = await must(api(srv.url, cat.staff, 'GET', '/realtime/config'));
    const channel = `provider.${p.id}.availability`;
    const wsUrl = `ws://${conf.wsHost}:${conf.wsPort}/app/${conf.key}?protocol=7&client=bench&version=1`;

    // warm the server (JIT, caches) before the baseline memory figure
    for (let i = 0; i < 20; i++)
      await api(
        srv.url,
        cat.staff,
        'GET',
        `/providers/${p.id}/availability?serviceId=${p.serviceId}&date=tomorrow`,
      );
    const warm = await Promise.all(Array.from({ length: 10 }, () => connectOne(wsUrl, channel, () => {})));
    for (const s of warm) s.ws.close();
    await sleep(500);
    const rssBefore = await settledRssKb(srv.child.pid!);

    const onDate = (s: Sub, date: string) => {
      if (!s.got.has(date)) s.got.set(date, performance.now());
    };
    const t0 = performance.now();
    for (let i = 0; i < o.clients; i += 100) {
      left();
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, o.clients - i) }, () => connectOne(wsUrl, channel, onDate)),
      );
      subs.push(...batch);
    }
    const connectMs = performance.now() - t0;
    await sleep(500);
    const rssAfter = await settledRssKb(srv.child.pid!);
    const perConnKb = (rssAfter - rssBefore) / subs.length;
    log(`${subs.length} subscribers on ${channel} in ${fmt(connectMs)} ms`);
    log(
      `server RSS ${fmt(rssBefore / 1024, 1)} MB → ${fmt(rssAfter / 1024, 1)} MB: ${fmt(perConnKb, 1)} KB per connection`,
    );

    const allMs: number[] = [];
    const firstMs: number[] = [];
    const holdMs: number[] = [];
    const startDay = Date.now() + 86_400_000;
    for (let r = 0; r < o.rounds; r++) {
      left();
      const date = new Date(startDay + r * 86_400_000).toISOString().slice(0, 10);
      const slots = (
        await must(
          api(
            srv.url,
            cat.staff,
            'GET',
            `/providers/${p.id}/availability?serviceId=${p.serviceId}&date=${date}`,
          ),
        )
      ).timeslots as { id: string }[];
      await sleep(50);
      const start = performance.now();
      const hold = await api(srv.url, cat.staff, 'POST', '/reservations', {
        providerId: p.id,
        serviceId: p.serviceId,
        timeslotId: slots[r % slots.length].id,
      });
      holdMs.push(performance.now() - start);
      if (hold.status !== 201) throw new Error(`hold ${hold.status}: ${hold.text}`);
      const until = performance.now() + 10_000;
      while (subs.some((s) => !s.got.has(date))) {
        if (performance.now() > until) {
          const missing = subs.filter((s) => !s.got.has(date)).length;
          throw new Error(`${missing} of ${subs.length} subscribers did not receive round ${r} within 10 s`);
        }
        await sleep(1);
      }
      const times = subs.map((s) => s.got.get(date)! - start).sort((a, b) => a - b);
      firstMs.push(times[0]);
      allMs.push(times[times.length - 1]);
    }
    allMs.sort((a, b) => a - b);
    firstMs.sort((a, b) => a - b);
    holdMs.sort((a, b) => a - b);
    const p50 = percentile(allMs, 50);
    const p99 = percentile(allMs, 99);
    log('');
    log(
      table(
        ['per round (ms)', 'p50', 'p99', 'max'],
        [
          [
            'POST /reservations response',
            fmt(percentile(holdMs, 50), 1),
            fmt(percentile(holdMs, 99), 1),
            fmt(holdMs[holdMs.length - 1], 1),
          ],
          [
            'first subscriber has it',
            fmt(percentile(firstMs, 50), 1),
            fmt(percentile(firstMs, 99), 1),
            fmt(firstMs[firstMs.length - 1], 1),
          ],
          [`all ${subs.length} have it`, fmt(p50, 1), fmt(p99, 1), fmt(allMs[allMs.length - 1], 1)],
        ],
      ),
    );
    const figures: Figure[] = [
      {
        label: `fan-out to ${subs.length} subscribers p50`,
        value: p50,
        unit: 'ms',
        aim: '< 1000',
        ok: p50 < 1000,
      },
      {
        label: `fan-out to ${subs.length} subscribers p99`,
        value: p99,
        unit: 'ms',
        aim: '< 1000',
        ok: p99 < 1000,
      },
      { label: 'server memory per connection', value: perConnKb, unit: 'KB' },
      { label: `connect + subscribe ${subs.length}`, value: connectMs, unit: 'ms' },
    ];
    return {
      figures,
      notes: [
        `${o.rounds} rounds, one POST /reservations each on a fresh day (no coalescing delay); time from the request until the last subscriber's message`,
        'subscribers are raw ws clients in the bench process, sharing the 2 cores with the server',
        'memory: server RSS after connecting minus before (median of 5 samples each), divided by connections; GC timing makes it noisy',
      ],
    };
  } finally {
    for (const s of subs) s.ws.terminate();
    await srv.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function arg(argv: string[], name: string, dflt: number): number {
  const i = argv.indexOf(name);
  const v = i >= 0 ? Number(argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer`);
  return v;
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  runRealtimeBench({
    clients: arg(argv, '--clients', 1000),
    rounds: arg(argv, '--rounds', 20),
    deadlineS: arg(argv, '--deadline', 180),
  }).then(
    (r) => {
      printBenchJson({ name: 'realtime', figures: r.figures, notes: r.notes });
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`realtime bench failed: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
