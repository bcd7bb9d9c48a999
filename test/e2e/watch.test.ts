import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, BIN, type ServerProcess, seedCatalog, startServerProcess } from '../server-process.js';

/**
 * `appt watch` as a person or a script runs it: the compiled CLI against the real server
 * process, events printed as they arrive, exit codes for the refusals, and a reconnect
 * after the server restarts.
 */

let srv: ServerProcess;
let cat: Awaited<ReturnType<typeof seedCatalog>>;
let userToken: string;
let otherUserId: string;
const home = mkdtempSync(join(tmpdir(), 'appt-watch-home-'));

beforeAll(async () => {
  srv = await startServerProcess({ env: { APPT_RATE_LIMIT_STAFF: '0', APPT_RATE_LIMIT_USER: '0' } });
  cat = await seedCatalog(srv.url, srv.adminToken);
  userToken = (
    await api(srv.url, srv.adminToken, 'POST', '/admin/tokens', {
      name: 'racer',
      role: 'user',
      userId: cat.userId,
    })
  ).json.token;
  otherUserId = (
    await api(srv.url, srv.adminToken, 'POST', '/admin/users', { name: 'Other', email: 'o@example.com' })
  ).json.id;
});
afterAll(async () => {
  await srv.stop();
  await srv.cleanup();
  rmSync(home, { recursive: true, force: true });
});

interface Watch {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  waitErr(re: RegExp, ms?: number): Promise<void>;
  waitOut(re: RegExp, ms?: number): Promise<void>;
  exit: Promise<number | null>;
}

function watch(args: string[], env: Record<string, string> = {}): Watch {
  const child = spawn(process.execPath, [BIN, 'watch', ...args], {
    env: { ...process.env, NO_COLOR: '1', APPT_HOME: home, APPT_SERVER: '', APPT_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    poke();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    poke();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const wait = (get: () => string, re: RegExp, ms = 15_000) =>
    new Promise<void>((resolve, reject) => {
      if (re.test(get())) return resolve();
      const t = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`timed out waiting for ${re}; stdout: ${out}\nstderr: ${err}`));
      }, ms);
      const w = () => {
        if (re.test(get())) {
          clearTimeout(t);
          waiters.delete(w);
          resolve();
        }
      };
      waiters.add(w);
      void exit.then(w);
    });
  return {
    child,
    out: () => out,
    err: () => err,
    waitErr: (re, ms) => wait(() => err, re, ms),
    waitOut: (re, ms) => wait(() => out, re, ms),
    exit,
  };
}

async function day(date = 'tomorrow') {
  const r = await api(
    srv.url,
    cat.staff,
    'GET',
    `/providers/${cat.providerId}/availability?serviceId=${cat.s30}&date=${date}`,
  );
  return r.json.timeslots as { id: string; start: string; status: string }[];
}

let keyN = 0;
describe('appt watch', () => {
  it('--provider --json prints timeslot.updated for a hold and its release, then stops at --limit', async () => {
    const w = watch(['--provider', cat.providerId, '--json', '--limit', '2'], {
      APPT_SERVER: srv.url,
      APPT_TOKEN: cat.staff,
    });
    await w.waitErr(new RegExp(`watching provider\\.${cat.providerId}\\.availability`));
    const slot = (await day())[2];
    const hold = await api(srv.url, cat.staff, 'POST', '/reservations', {
      providerId: cat.providerId,
      serviceId: cat.s30,
      timeslotId: slot.id,
    });
    expect(hold.status).toBe(201);
    await w.waitOut(/timeslot\.updated/);
    const rel = await api(srv.url, cat.staff, 'DELETE', `/reservations/${hold.json.reservationToken}`);
    expect(rel.status).toBe(204);
    expect(await w.exit).toBe(0);
    const lines = w
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      channel: `provider.${cat.providerId}.availability`,
      event: 'timeslot.updated',
      data: { providerId: cat.providerId, serviceId: cat.s30, timeslotId: slot.id, status: 'reserved' },
    });
    expect(Date.parse(lines[0].at)).not.toBeNaN();
    expect(lines[1].data).toMatchObject({ timeslotId: slot.id, status: 'available' });
  });

  it('a customer token watches its own bookings by default, in readable lines', async () => {
    const w = watch(['--limit', '2'], { APPT_SERVER: srv.url, APPT_TOKEN: userToken });
    await w.waitErr(new RegExp(`watching private-user\\.${cat.userId}\\.bookings`));
    expect(w.err()).toMatch(/realtime: connected/);
    const slot = (await day())[5];
    const hold = await api(srv.url, userToken, 'POST', '/reservations', {
      providerId: cat.providerId,
      serviceId: cat.s30,
      timeslotId: slot.id,
    });
    const book = await api(
      srv.url,
      userToken,
      'POST',
      '/bookings',
      { reservationToken: hold.json.reservationToken, userId: cat.userId },
      { 'idempotency-key': `watch-${++keyN}` },
    );
    expect(book.status).toBe(201);
    await w.waitOut(/booking\.confirmed/);
    const c = await api(
      srv.url,
      userToken,
      'POST',
      `/appointments/${book.json.id}/cancel`,
      {},
      {
        'idempotency-key': `watch-${++keyN}`,
      },
    );
    expect(c.status).toBe(200);
    expect(await w.exit).toBe(0);
    const lines = w.out().trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d  booking\\.confirmed +${book.json.id} .*Short with Race Clinic  v1$`),
    );
    expect(lines[1]).toMatch(
      new RegExp(`booking\\.cancelled +${book.json.id}  fee 0\\.00 USD, refund 10\\.00 USD  v2$`),
    );
  });

  it.each([
    ['without a login', 4, [], {}, /not logged in/],
    ['with a revoked or unknown token', 4, ['--provider', 'p'], { APPT_TOKEN: 'nope' }, /401/],
    [
      'a staff token without --user/--provider',
      2,
      [],
      { APPT_TOKEN: 'STAFF' },
      /give --user U or --provider P/,
    ],
    ['a bad --limit', 2, ['--limit', 'abc'], { APPT_TOKEN: 'STAFF' }, /--limit/],
    ['another customer’s channel', 4, ['--user', 'OTHER'], { APPT_TOKEN: 'USER' }, /not allowed to watch/],
  ] as [string, number, string[], Record<string, string>, RegExp][])(
    'fails %s (exit %i)',
    async (_what, code, args, env, message) => {
      const e = { ...env };
      if (e.APPT_TOKEN === 'STAFF') e.APPT_TOKEN = cat.staff;
      if (e.APPT_TOKEN === 'USER') e.APPT_TOKEN = userToken;
      if (e.APPT_TOKEN) e.APPT_SERVER = srv.url;
      const w = watch(
        args.map((a) => (a === 'OTHER' ? otherUserId : a)),
        e,
      );
      expect(await w.exit).toBe(code);
      expect(w.err()).toMatch(message);
      expect(w.out()).toBe('');
    },
  );

  it('fails with exit 1 when the server cannot be reached', async () => {
    const w = watch(['--provider', 'p'], { APPT_SERVER: 'http://127.0.0.1:9', APPT_TOKEN: 'x' });
    expect(await w.exit).toBe(1);
    expect(w.err()).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});

describe('appt watch with a real sweeper', () => {
  it('a hold that lapses (TTL 1 s) is announced as available again by the server’s own sweep', async () => {
    const s = await startServerProcess({
      args: ['--reservation-ttl', '1'],
      env: { APPT_RATE_LIMIT_STAFF: '0' },
    });
    try {
      const c = await seedCatalog(s.url, s.adminToken);
      const w = watch(['--provider', c.providerId, '--json', '--limit', '2'], {
        APPT_SERVER: s.url,
        APPT_TOKEN: c.staff,
      });
      await w.waitErr(/watching provider/);
      const slots = (
        await api(
          s.url,
          c.staff,
          'GET',
          `/providers/${c.providerId}/availability?serviceId=${c.s30}&date=tomorrow`,
        )
      ).json.timeslots;
      const hold = await api(s.url, c.staff, 'POST', '/reservations', {
        providerId: c.providerId,
        serviceId: c.s30,
        timeslotId: slots[1].id,
      });
      expect(hold.status).toBe(201);
      expect(await w.exit).toBe(0);
      const [held, lapsed] = w
        .out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(held.data).toMatchObject({ timeslotId: slots[1].id, status: 'reserved' });
      expect(lapsed.data).toMatchObject({ timeslotId: slots[1].id, status: 'available' });
      // expiry after 1 s, the sweep runs every second
      expect(Date.parse(lapsed.at) - Date.parse(held.at)).toBeLessThan(3500);
    } finally {
      await s.stop();
      await s.cleanup();
    }
  }, 60_000);
});

describe('appt watch across a server restart', () => {
  it('reconnects by itself and keeps printing events', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'appt-watch-restart-'));
    const args = ['--port', String(port)];
    const env = { APPT_RATE_LIMIT_STAFF: '0' };
    let s = await startServerProcess({ dataDir, args, env });
    try {
      const c = await seedCatalog(s.url, s.adminToken);
      const w = watch(['--provider', c.providerId, '--json'], { APPT_SERVER: s.url, APPT_TOKEN: c.staff });
      await w.waitErr(/watching provider/);
      await s.stop();
      await w.waitErr(/retrying/);
      s = await startServerProcess({ dataDir, args, env });
      const up = Date.now();
      await w.waitErr(/reconnected/, 30_000);
      // the client restarts stalled attempts (1, 2, 4, 8 s apart) instead of waiting out
      // pusher-js's 15 s transport timeout
      expect(Date.now() - up).toBeLessThan(12_000);
      // the subscription is renewed on the new connection before events can arrive
      await new Promise((r) => setTimeout(r, 200));
      const slots = (
        await api(
          s.url,
          c.staff,
          'GET',
          `/providers/${c.providerId}/availability?serviceId=${c.s30}&date=tomorrow`,
        )
      ).json.timeslots;
      const hold = await api(s.url, c.staff, 'POST', '/reservations', {
        providerId: c.providerId,
        serviceId: c.s30,
        timeslotId: slots[0].id,
      });
      expect(hold.status).toBe(201);
      await w.waitOut(/timeslot\.updated/);
      w.child.kill('SIGINT');
      expect(await w.exit).toBe(0);
    } finally {
      await s.stop();
      await s.cleanup();
    }
  }, 60_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}
