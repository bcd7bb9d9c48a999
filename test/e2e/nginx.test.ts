import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerAvailabilityChannel } from '../../shared/realtime-client.js';
import { type Recorder, record } from '../../server/realtime/testing.js';
import { freshPgDatabase, requirePg } from '../../server/testing/pg.js';
import { ROOT, seedCatalog } from '../server-process.js';
import { call, type Served, serve } from '../serve-process.js';

/**
 * Several machines behind a load balancer (issue 11 §8): two `appt serve` processes on one
 * PostgreSQL database behind Debian's nginx, run with the configuration docs/deploy.md
 * shows (its ```nginx block, with this test's ports). The API and pusher-js go through
 * nginx; both backends serve requests (each finds the request ids it answered in its own
 * log); the failed-auth brake sees the client's address through X-Forwarded-For
 * (APPT_TRUST_PROXY) and counts across both processes.
 */
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

function nginxPresent(): boolean {
  if (NGINX) return true;
  if (process.env.CI === 'true')
    throw new Error('test/e2e/nginx.test.ts needs nginx under CI=true (.ci/run installs it)');
  console.log('nginx is not installed: skipping test/e2e/nginx.test.ts (apt-get install nginx)');
  return false;
}

const present = requirePg('test/e2e/nginx.test.ts (two appt serve behind nginx)') && nginxPresent();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** The ```nginx block of docs/deploy.md with these ports. */
export function deployConfig(listen: number, backends: number[]): string {
  const doc = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');
  const m = /```nginx\n([\s\S]*?)```/.exec(doc);
  if (!m) throw new Error('docs/deploy.md has no ```nginx block');
  let conf = m[1].replace(/listen 8080;/, `listen 127.0.0.1:${listen};`);
  const servers = [...conf.matchAll(/server 127\.0\.0\.1:(\d+)/g)];
  if (servers.length !== backends.length) throw new Error('the doc names another number of backends');
  for (const [i, s] of servers.entries()) conf = conf.replace(s[0], `server 127.0.0.1:${backends[i]}`);
  return conf;
}

/** A 401/429 probe from a given local address (127.0.0.x: the client nginx sees). */
function fromAddress(base: string, localAddress: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/me`, {
      localAddress,
      agent: false,
      headers: { authorization: `Bearer ${token}`, connection: 'close' },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!present)('two appt serve processes behind nginx', () => {
  let db: { url: string; drop(): Promise<void> };
  let a: Served;
  let b: Served;
  let nginx: ChildProcess;
  let dir: string;
  let lb: string;
  let cat: Awaited<ReturnType<typeof seedCatalog>>;
  let nginxErr = '';

  beforeAll(async () => {
    db = await freshPgDatabase();
    // what the processes share (docs/deploy.md): database, realtime and webhook secrets, the proxy
    const env = {
      APPT_PUSHER_APP_ID: '424242',
      APPT_PUSHER_KEY: 'lbkey',
      APPT_PUSHER_SECRET: 'lb-secret-shared-by-both',
      APPT_WEBHOOK_SECRET: 'lb-webhook-secret',
      APPT_TRUST_PROXY: '127.0.0.1',
      APPT_RATE_LIMIT_USER: '0',
      APPT_RATE_LIMIT_STAFF: '0',
    };
    a = await serve({ args: ['--database-url', db.url], env });
    b = await serve({ args: ['--database-url', db.url], env });
    dir = mkdtempSync(join(tmpdir(), 'appt-nginx-'));
    mkdirSync(join(dir, 'tmp'));
    const port = await freePort();
    const conf = [
      'worker_processes 1;',
      `error_log ${dir}/error.log warn;`,
      'events { worker_connections 256; }',
      'http {',
      `  access_log ${dir}/access.log;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/tmp/${t};`),
      deployConfig(port, [new URL(a.url).port, new URL(b.url).port].map(Number)),
      '}',
    ].join('\n');
    writeFileSync(join(dir, 'nginx.conf'), conf);
    nginx = spawn(
      NGINX!,
      ['-p', dir, '-e', `${dir}/error.log`, '-c', 'nginx.conf', '-g', `daemon off; pid ${dir}/nginx.pid;`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    nginx.stderr!.on('data', (d: Buffer) => {
      nginxErr += d.toString();
    });
    lb = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if ((await call(lb, '', 'GET', '/healthz', undefined, {}, 1000)).status === 200) break;
      if (nginx.exitCode !== null) throw new Error(`nginx exited ${nginx.exitCode}: ${nginxErr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    cat = await seedCatalog(lb, a.adminToken);
  }, 90_000);

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const gone = new Promise((r) => nginx.once('exit', r));
      nginx.kill('SIGQUIT');
      await gone;
    }
    await a?.stop();
    await b?.stop();
    a?.cleanup();
    b?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await db?.drop();
  });

  /** which backend logged this request id (the x-request-id nginx passed back) */
  async function servedBy(reqId: string): Promise<'a' | 'b' | undefined> {
    for (let i = 0; i < 20; i++) {
      if (a.logs().some((l) => l.reqId === reqId)) return 'a';
      if (b.logs().some((l) => l.reqId === reqId)) return 'b';
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  }

  async function day(n: number) {
    const date = new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    const r = await call(
      lb,
      cat.staff,
      'GET',
      `/providers/${cat.providerId}/availability?serviceId=${cat.s30}&date=${date}`,
    );
    expect(r.status).toBe(200);
    return (r.json.timeslots as { id: string; status: string }[]).filter((s) => s.status === 'available');
  }

  it('hold, book and cancel through nginx; both backends serve requests', async () => {
    const [slot] = await day(2);
    const hold = await call(lb, cat.staff, 'POST', '/reservations', {
      providerId: cat.providerId,
      serviceId: cat.s30,
      timeslotId: slot.id,
      userId: cat.userId,
    });
    expect(hold.status).toBe(201);
    const book = await call(lb, cat.staff, 'POST', '/bookings', {
      reservationToken: hold.json.reservationToken,
      userId: cat.userId,
      idempotencyKey: 'nginx-book-1',
    });
    expect(book.status).toBe(201);
    const cancel = await call(lb, cat.staff, 'POST', `/appointments/${book.json.id}/cancel`, {
      idempotencyKey: 'nginx-cancel-1',
      reason: 'behind nginx',
    });
    expect(cancel.status).toBe(200);
    expect(cancel.json.appointment.status).toBe('cancelled');

    const ids = [hold, book, cancel].map((r) => String(r.headers['x-request-id']));
    for (let i = 0; i < 8; i++)
      ids.push(
        String((await call(lb, cat.staff, 'GET', `/appointments/${book.json.id}`)).headers['x-request-id']),
      );
    const by = await Promise.all(ids.map(servedBy));
    // every request id is in exactly one backend's log, and both backends took a share
    expect(by.every((x) => x === 'a' || x === 'b')).toBe(true);
    expect(new Set(by)).toEqual(new Set(['a', 'b']));
    // both backends see the same data: the cancelled appointment, read from each directly
    for (const s of [a, b]) {
      const r = await call(s.url, cat.staff, 'GET', `/appointments/${book.json.id}`);
      expect(r.json.status).toBe('cancelled');
    }
  });

  it('pusher-js through nginx (WebSocket upgrade on /app/) receives timeslot.updated for a hold made through nginx', async () => {
    let rec: Recorder | undefined;
    try {
      rec = await record({ server: lb, token: cat.staff, providerIds: [cat.providerId] });
      await rec.subscribed(providerAvailabilityChannel(cat.providerId), 10_000);
      expect(rec.client.config).toMatchObject({ wsPort: Number(new URL(lb).port), key: 'lbkey' });
      // Holds go through nginx, round robin: the events of those that land on the WebSocket's
      // backend must arrive. (A change on the other backend reaches this socket only through
      // the cross-process LISTEN/NOTIFY fan-out, which has its own test.)
      const slots = await day(3);
      let asserted = 0;
      for (const slot of slots.slice(0, 6)) {
        const from = rec.events.length;
        const hold = await call(lb, cat.staff, 'POST', '/reservations', {
          providerId: cat.providerId,
          serviceId: cat.s30,
          timeslotId: slot.id,
          userId: cat.userId,
        });
        expect(hold.status).toBe(201);
        const backend = await servedBy(String(hold.headers['x-request-id']));
        const wsOn = await wsBackend();
        if (backend !== wsOn) continue;
        const e = await rec.next(
          (x) =>
            x.event === 'timeslot.updated' &&
            ((x.data as { timeslotId?: string }).timeslotId === slot.id ||
              ((x.data as { changes?: { timeslotId: string }[] }).changes ?? []).some(
                (c) => c.timeslotId === slot.id,
              )),
          5_000,
          from,
        );
        expect(e.channel).toBe(providerAvailabilityChannel(cat.providerId));
        asserted++;
      }
      expect(asserted).toBeGreaterThan(0);
    } finally {
      rec?.close();
    }
  });

  it('the failed-auth brake sees the client behind nginx (APPT_TRUST_PROXY) and counts across both backends', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 101; i++) statuses.push(await fromAddress(lb, '127.0.0.2', `bad-${i}`));
    expect(statuses.slice(0, 100).every((s) => s === 401)).toBe(true);
    expect(statuses[100]).toBe(429);
    // another client address behind the same proxy is not braked
    expect(await fromAddress(lb, '127.0.0.3', 'bad-other')).toBe(401);
    // and the failures were answered by both processes
    const refusals = (s: Served) => s.logs().filter((l) => l.status === 401).length;
    expect(refusals(a)).toBeGreaterThan(10);
    expect(refusals(b)).toBeGreaterThan(10);
  });

  /** the backend whose hub has the test's WebSocket */
  async function wsBackend(): Promise<'a' | 'b' | undefined> {
    const figure = async (s: Served) => {
      const r = await new Promise<string>((resolve) => {
        httpRequest(`${s.url}/metrics`, { agent: false }, (res) => {
          let t = '';
          res.on('data', (c: Buffer) => {
            t += c.toString();
          });
          res.on('end', () => resolve(t));
        }).end();
      });
      return Number(/appt_realtime\{figure="connections"\} (\d+)/.exec(r)?.[1] ?? 0);
    };
    const [na, nb] = await Promise.all([figure(a), figure(b)]);
    return na > 0 ? 'a' : nb > 0 ? 'b' : undefined;
  }
});
