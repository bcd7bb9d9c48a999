import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPgDatabase, requirePg } from '../../server/testing/pg.js';
import { BIN, seedCatalog } from '../server-process.js';
import { call, type Served, serve } from '../serve-process.js';

/**
 * `appt serve --workers N` (issue 11 §7) with real processes on PostgreSQL: a burst of
 * holds and bookings while one worker is SIGKILLed — the worker is restarted, nothing
 * acknowledged is lost, the invariants hold — and SIGTERM drains the workers (a request in
 * flight completes) and exits 0.
 */
describe('appt serve --workers on SQLite', () => {
  it('is refused with a one-line reason and the usage exit code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'appt-workers-'));
    try {
      const r = spawnSync(
        process.execPath,
        [BIN, 'serve', '--workers', '2', '--data-dir', dir, '--port', '0'],
        {
          encoding: 'utf8',
          env: { ...process.env, APPT_DATABASE_URL: '', NO_COLOR: '1' },
          timeout: 20_000,
        },
      );
      expect(r.status).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/APPT_WORKERS: 2 workers need PostgreSQL/);
      expect(r.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--print-config shows the worker count, and writes nothing into the data directory', () => {
    // printing the configuration must not create secrets or make the directory private:
    // `--data-dir /tmp` once turned /tmp into 0700
    const dir = mkdtempSync(join(tmpdir(), 'appt-workers-'));
    chmodSync(dir, 0o755);
    try {
      const r = spawnSync(process.execPath, [BIN, 'serve', '--print-config', '--data-dir', dir], {
        encoding: 'utf8',
        env: { ...process.env, APPT_WORKERS: '1', APPT_DATABASE_URL: '' },
      });
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ workers: 1, trustProxy: false });
      expect(readdirSync(dir)).toEqual([]);
      expect(statSync(dir).mode & 0o777).toBe(0o755);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const present = requirePg('test/e2e/cluster.test.ts (appt serve --workers 3)');

describe.skipIf(!present)('appt serve --workers 3 on PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let srv: Served;
  let cat: Awaited<ReturnType<typeof seedCatalog>>;
  let pids: number[];

  beforeAll(async () => {
    db = await freshPgDatabase();
    srv = await serve({
      args: ['--workers', '3', '--database-url', db.url],
      env: { APPT_RATE_LIMIT_USER: '0', APPT_RATE_LIMIT_STAFF: '0' },
    });
    pids = (await srv.waitFor(/pids ([\d, ]+)\)/))[1].split(', ').map(Number);
    cat = await seedCatalog(srv.url, srv.adminToken);
  }, 90_000);
  afterAll(async () => {
    await srv?.stop('SIGKILL');
    srv?.cleanup();
    await db?.drop();
  });

  async function slots(days: number): Promise<string[]> {
    const out: string[] = [];
    for (let d = 1; d <= days; d++) {
      const date = new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
      const r = await call(
        srv.url,
        cat.staff,
        'GET',
        `/providers/${cat.providerId}/availability?serviceId=${cat.s30}&date=${date}`,
      );
      for (const s of r.json.timeslots as { id: string; status: string }[])
        if (s.status === 'available') out.push(s.id);
    }
    return out;
  }

  async function holdAndBook(timeslotId: string, i: number) {
    const h = await call(srv.url, cat.staff, 'POST', '/reservations', {
      providerId: cat.providerId,
      serviceId: cat.s30,
      timeslotId,
      userId: cat.userId,
    });
    if (h.status !== 201) return { hold: h.status, book: 0, id: undefined as string | undefined };
    const b = await call(srv.url, cat.staff, 'POST', '/bookings', {
      reservationToken: h.json.reservationToken,
      userId: cat.userId,
      idempotencyKey: `burst-${i}`,
    });
    return { hold: h.status, book: b.status, id: b.status === 201 ? (b.json.id as string) : undefined };
  }

  it('a worker SIGKILLed mid-burst is restarted; every acknowledged booking is in the database; invariants hold', async () => {
    expect(pids).toHaveLength(3);
    const targets = await slots(14);
    expect(targets.length).toBeGreaterThanOrEqual(200);
    const burst = targets.slice(0, 200);
    const results: Awaited<ReturnType<typeof holdAndBook>>[] = [];
    let next = 0;
    let killedAt = 0;
    let backAt = 0;
    const victim = pids[1];
    const lane = async () => {
      while (next < burst.length) {
        const i = next++;
        if (i === 60 && !killedAt) {
          killedAt = Date.now();
          process.kill(victim, 'SIGKILL');
          void srv.waitFor(/worker \d+ \(slot \d\) listening/).then(() => {
            backAt = Date.now();
          });
        }
        results.push(await holdAndBook(burst[i], i));
      }
    };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 12 }, lane));
    const burstMs = Date.now() - t0;

    const exited = await srv.waitFor(new RegExp(`worker ${victim} \\(slot (\\d)\\) exited \\(SIGKILL\\)`));
    const back = await srv.waitFor(new RegExp(`worker (\\d+) \\(slot ${exited[1]}\\) listening`));
    const newPid = Number(back[1]);
    expect(pids).not.toContain(newPid);
    await new Promise((r) => setTimeout(r, 20));
    const restartMs = backAt - killedAt;

    // the new worker answers: fresh connections are spread over the workers
    const answeredBy = () =>
      new Set(
        srv
          .logs()
          .filter((l) => l.route === '/me' && l.status === 200)
          .map((l) => Number(l.pid)),
      );
    for (let k = 0; k < 15 && !answeredBy().has(newPid); k++) {
      expect((await call(srv.url, srv.adminToken, 'GET', '/me')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 30));
    }
    const seen = answeredBy();
    expect(seen.has(newPid)).toBe(true);

    const booked = results.filter((r) => r.id).map((r) => r.id!);
    const failed = results.filter((r) => !r.id);
    // nothing but connection loss on the killed worker: no 5xx, no refusal of another kind
    expect(results.filter((r) => r.hold >= 500 || r.book >= 500)).toEqual([]);
    expect(results.filter((r) => !r.id && r.hold !== 0 && r.book !== 0)).toEqual([]);
    expect(booked.length).toBeGreaterThan(150);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const q = await c.query<{ n: string }>(
        "SELECT count(*) AS n FROM appointments WHERE id = ANY($1) AND status IN ('confirmed','upcoming')",
        [booked],
      );
      expect(Number(q.rows[0].n)).toBe(booked.length);
    } finally {
      await c.end();
    }
    const check = await call(srv.url, srv.adminToken, 'GET', '/admin/check');
    expect(check.json).toMatchObject({ ok: true });
    console.log(
      `cluster burst: ${burst.length} hold+book pairs in ${burstMs} ms, ${booked.length} booked, ${failed.length} lost to the kill; worker ${victim} SIGKILLed → ${newPid} listening after ${restartMs} ms`,
    );
  }, 120_000);

  it('SIGTERM drains every worker: a request in flight completes, then exit 0', async () => {
    const [slot] = await slots(20).then((s) => s.slice(-1));
    const body = Buffer.from(
      JSON.stringify({
        providerId: cat.providerId,
        serviceId: cat.s30,
        timeslotId: slot,
        userId: cat.userId,
      }),
    );
    // headers and half the body now, the rest after SIGTERM: the request is in flight
    const answer = new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${srv.url}/reservations`, {
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${cat.staff}`,
          'content-type': 'application/json',
          'content-length': String(body.length),
        },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 10));
      setTimeout(() => {
        srv.child.kill('SIGTERM');
        setTimeout(() => req.end(body.subarray(10)), 500);
      }, 300);
    });
    const exit = new Promise<number | null>((r) => srv.child.once('exit', (code) => r(code)));
    expect(await answer).toBe(201);
    expect(await exit).toBe(0);
    expect(srv.stderr()).toMatch(/SIGTERM: shutting down 3 workers/);
  }, 60_000);
});
