import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { verifyAudit } from '../audit/audit.js';
import { checkInvariants } from '../invariants/check.js';
import { fillAppointments } from '../testing/bigdb.js';
import { type Harness, makeHarness } from '../testing/harness.js';
import { CheckRunner } from './checks.js';

/**
 * Issue 12, item 5: on a big database GET /admin/check and GET /admin/audit/verify took
 * seconds of CPU in the server's thread, and /healthz (and everything else) waited that
 * long. They now run in a worker thread with its own handle, one at a time.
 */
const APPOINTMENTS = 40_000; // 80k audit entries: a check takes ~2 s in-thread here
let h: Harness;
let port: number;
beforeAll(async () => {
  h = await makeHarness({ listen: true });
  port = (h.app.server.address() as AddressInfo).port;
  await fillAppointments(h.ctx.db, {
    n: APPOINTMENTS,
    providerId: h.ids.provider,
    serviceId: h.ids.service,
    userId: h.ids.alice,
    before: h.clock.now(),
  });
}, 120_000);
afterAll(async () => await h?.close());

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
function get(path: string, token?: string): Promise<{ status: number; body: any; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, agent, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(text),
            type: String(res.headers['content-type']),
          }),
        );
      },
    );
    req.on('error', reject);
  });
}

/** /healthz over HTTP, one after another every ~5 ms, until `during` settles; latencies in ms. */
async function healthzDuring<T>(during: Promise<T>): Promise<{ result: T; ms: number[]; tookMs: number }> {
  const t0 = performance.now();
  let done = false;
  const settled = during.finally(() => {
    done = true;
  });
  const ms: number[] = [];
  while (!done) {
    const t = performance.now();
    const r = await get('/healthz');
    ms.push(performance.now() - t);
    expect(r.status).toBe(200);
    await new Promise((r) => setTimeout(r, 5));
  }
  const result = await settled;
  return { result, ms, tookMs: performance.now() - t0 };
}

function pct(ms: number[], p: number): number {
  const s = [...ms].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
}

// SQLite files and :memory: (the PostgreSQL variant is checks-pg.test.ts)
describe('12.5 expensive checks do not stop the server', () => {
  it(`5. expensive checks do not stop the server: /healthz p99 < 50 ms during GET /admin/check and /admin/audit/verify on ${APPOINTMENTS} appointments, with the in-thread answers`, async () => {
    const now = h.clock.now();
    // the answers and durations of the same functions in the server's thread
    let t = performance.now();
    const expectedCheck = await checkInvariants(h.ctx.db, now, { holdGraceMs: 5_000 });
    const inThreadCheckMs = performance.now() - t;
    t = performance.now();
    const expectedVerify = await verifyAudit(h.ctx.db);
    const inThreadVerifyMs = performance.now() - t;
    expect(expectedCheck).toEqual({ ok: true, problems: [] });
    expect(expectedVerify).toMatchObject({ ok: true, entries: 2 * APPOINTMENTS + 6 });
    expect(inThreadCheckMs).toBeGreaterThan(1000);

    // control: run in-thread (what the route did), the probe sees the server stop
    const blocked = await healthzDuring(
      new CheckRunner(h.ctx, { mode: 'thread' }).runAdmin({ kind: 'check', now, holdGraceMs: 5_000 }),
    );
    expect(Math.max(...blocked.ms)).toBeGreaterThan(500);

    // the routes: in a worker; a second admin run meanwhile is refused at once
    const check = get('/admin/check', h.tokens.admin);
    await new Promise((r) => setTimeout(r, 200));
    const second = await get('/admin/audit/verify', h.tokens.support);
    expect(second.status).toBe(409);
    expect(second.type).toContain('application/problem+json');
    expect(second.body).toMatchObject({
      code: 'check_in_progress',
      status: 409,
      title: 'A check is already running',
    });
    const duringCheck = await healthzDuring(check);
    expect(duringCheck.result.status).toBe(200);
    expect(duringCheck.result.body).toEqual(expectedCheck);

    // support may verify the audit chains (admin only for the whole check)
    expect((await get('/admin/check', h.tokens.support)).status).toBe(403);
    const duringVerify = await healthzDuring(get('/admin/audit/verify', h.tokens.support));
    expect(duringVerify.result.status).toBe(200);
    expect(duringVerify.result.body).toEqual(expectedVerify);

    const report = (name: string, r: { ms: number[]; tookMs: number }) =>
      `${name}: ${Math.round(r.tookMs)} ms, /healthz n=${r.ms.length} p50=${pct(r.ms, 50)} p99=${pct(r.ms, 99)} max=${pct(r.ms, 100)} ms`;
    console.log(
      [
        `${APPOINTMENTS} appointments, ${expectedVerify.entries} audit entries`,
        `in-thread functions: check ${Math.round(inThreadCheckMs)} ms, verify ${Math.round(inThreadVerifyMs)} ms`,
        report('check in-thread (old route)', blocked),
        report('GET /admin/check (worker)', duringCheck),
        report('GET /admin/audit/verify (worker)', duringVerify),
      ].join('\n'),
    );
    for (const r of [duringCheck, duringVerify]) {
      expect(r.ms.length).toBeGreaterThan(20);
      expect(pct(r.ms, 99)).toBeLessThan(50);
    }
    // the slot is free again
    expect((await get('/admin/audit/verify', h.tokens.admin)).status).toBe(200);
  }, 120_000);

  it('closing the app cuts off a check still running (503), it does not wait for it', async () => {
    const app = await buildApp(h.ctx);
    await app.ready();
    const t = performance.now();
    const running = app.inject({
      method: 'GET',
      url: '/admin/check',
      headers: { authorization: `Bearer ${h.tokens.admin}` },
    });
    await new Promise((r) => setTimeout(r, 300));
    await app.close();
    const r = await running;
    expect(r.statusCode).toBe(503);
    expect(r.json().code).toBe('unavailable');
    expect(performance.now() - t).toBeLessThan(1500);
  });

  it('an in-memory database (most tests) runs in-thread: another thread cannot open it', async () => {
    const m = await makeHarness({ file: false });
    try {
      expect(new CheckRunner(m.ctx).where('check')).toBe('thread');
      expect(new CheckRunner(h.ctx).where('check')).toBe('worker');
      const r = await m.app.inject({
        method: 'GET',
        url: '/admin/check',
        headers: { authorization: `Bearer ${m.tokens.admin}` },
      });
      expect(r.json()).toEqual({ ok: true, problems: [] });
    } finally {
      await m.close();
    }
  });
});
