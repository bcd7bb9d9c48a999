import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, ROOT, type ServerProcess, seedCatalog, startServerProcess } from '../server-process.js';

/**
 * Issue 12, item 11: the booking flow and its error cases through a validating proxy
 * (`@stoplight/prism-cli proxy --errors`) in front of the real server. Prism checks every
 * request and response against /openapi.json; a violation comes back as its own error
 * (or an `sl-violations` header), and this test counts them: there must be none.
 */
const PRISM = join(ROOT, 'node_modules', '.bin', 'prism');
let srv: ServerProcess;
let prism: ChildProcess;
let base: string;
let dir: string;
let out = '';
const exchanges: { what: string; status: number; violations: string | null; body: string }[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

beforeAll(async () => {
  if (!existsSync(PRISM)) throw new Error('@stoplight/prism-cli is not installed (npm ci)');
  srv = await startServerProcess({ env: { APPT_RATE_LIMIT_STAFF: '0', APPT_RATE_LIMIT_USER: '0' } });
  dir = mkdtempSync(join(tmpdir(), 'appt-prism-'));
  const doc = await (await fetch(`${srv.url}/openapi.json`)).text();
  writeFileSync(join(dir, 'openapi.json'), doc);
  const port = await freePort();
  prism = spawn(
    PRISM,
    ['proxy', join(dir, 'openapi.json'), srv.url, '--errors', '--host', '127.0.0.1', '--port', String(port)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
  );
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`prism did not start: ${out}`)), 60_000);
    const seen = (d: Buffer) => {
      out += d.toString();
      if (/listening on/i.test(out)) {
        clearTimeout(t);
        resolve();
      }
    };
    prism.stdout!.on('data', seen);
    prism.stderr!.on('data', seen);
    prism.on('exit', (code) => reject(new Error(`prism exited ${code}: ${out}`)));
  });
  base = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  prism?.kill('SIGTERM');
  await srv?.stop();
  await srv?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One exchange through Prism, remembered with whatever Prism said about it. */
async function via(
  what: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; form?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = opts.form;
  } else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const r = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await r.text();
  exchanges.push({ what, status: r.status, violations: r.headers.get('sl-violations'), body: text });
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text, headers: r.headers };
}

describe('12.11 the OpenAPI document tells the truth (Prism proxy --errors)', () => {
  it('the booking flow and its error cases have zero violations', async () => {
    const admin = srv.adminToken;
    const cat = await seedCatalog(srv.url, admin);
    const user = await api(srv.url, admin, 'POST', '/admin/tokens', {
      name: 'racer',
      role: 'user',
      userId: cat.userId,
    });
    const customer = user.json.token as string;
    const staff = cat.staff;
    const date = new Date(Date.now() + 4 * 86_400_000).toISOString().slice(0, 10);

    expect((await via('healthz', 'GET', '/healthz')).status).toBe(200);
    expect((await via('readyz', 'GET', '/readyz')).status).toBe(200);
    expect((await via('metrics', 'GET', '/metrics')).status).toBe(200);
    expect((await via('me', 'GET', '/me', { token: staff })).status).toBe(200);
    expect((await via('providers', 'GET', '/providers', { token: customer })).status).toBe(200);
    expect(
      (await via('services', 'GET', `/providers/${cat.providerId}/services`, { token: customer })).status,
    ).toBe(200);
    const day = await via(
      'availability',
      'GET',
      `/providers/${cat.providerId}/availability?serviceId=${cat.s30}&date=${date}`,
      {
        token: customer,
      },
    );
    expect(day.status).toBe(200);
    const slots = (day.json.timeslots as { id: string; status: string }[]).filter(
      (t) => t.status === 'available',
    );

    const hold = await via('hold', 'POST', '/reservations', {
      token: customer,
      body: { providerId: cat.providerId, serviceId: cat.s30, timeslotId: slots[2].id },
    });
    expect(hold.status).toBe(201);
    const taken = await via('hold taken (409)', 'POST', '/reservations', {
      token: staff,
      body: { providerId: cat.providerId, serviceId: cat.s30, timeslotId: slots[2].id, userId: cat.userId },
    });
    expect(taken.status).toBe(409);
    const booked = await via('book', 'POST', '/bookings', {
      token: customer,
      headers: { 'idempotency-key': 'prism-book-1' },
      body: { reservationToken: hold.json.reservationToken, userId: cat.userId },
    });
    expect(booked.status).toBe(201);
    const replay = await via('book replay', 'POST', '/bookings', {
      token: customer,
      headers: { 'idempotency-key': 'prism-book-1' },
      body: { reservationToken: hold.json.reservationToken, userId: cat.userId },
    });
    expect(replay.status).toBe(201);
    const reused = await via('key reused (422)', 'POST', '/bookings', {
      token: customer,
      headers: { 'idempotency-key': 'prism-book-1' },
      body: { reservationToken: 'another-token', userId: cat.userId },
    });
    expect(reused.status).toBe(422);
    const id = booked.json.id as string;

    const detail = await via('detail', 'GET', `/appointments/${id}`, { token: customer });
    expect(detail.status).toBe(200);
    // the detail's tag moves while the jobs send the booking's emails: the list shows a 304
    const list = await via('list', 'GET', `/users/${cat.userId}/appointments`, { token: customer });
    expect(list.status).toBe(200);
    const notModified = await via('list 304', 'GET', `/users/${cat.userId}/appointments`, {
      token: customer,
      headers: { 'if-none-match': String(list.headers.get('etag')) },
    });
    expect(notModified.status).toBe(304);
    expect(
      (
        await via(
          'day view',
          'GET',
          `/appointments?providerId=${cat.providerId}&date=${date}&status=active`,
          {
            token: staff,
          },
        )
      ).status,
    ).toBe(200);
    expect((await via('audit', 'GET', `/appointments/${id}/audit`, { token: customer })).status).toBe(200);
    expect(
      (await via('quote', 'GET', `/appointments/${id}/cancellation-quote`, { token: customer })).status,
    ).toBe(200);
    expect(
      (await via('alternatives', 'GET', `/appointments/${id}/alternatives?kind=next`, { token: customer }))
        .status,
    ).toBe(200);
    expect((await via('ics', 'GET', `/appointments/${id}/ics`, { token: customer })).status).toBe(200);
    expect((await via('missing (404)', 'GET', '/appointments/no-such-id', { token: staff })).status).toBe(
      404,
    );
    expect((await via('bad token (401)', 'GET', '/me', { token: 'not-a-token' })).status).toBe(401);
    expect((await via('support cannot (403)', 'GET', '/admin/check', { token: staff })).status).toBe(403);

    const move = await via('hold for move', 'POST', '/reservations', {
      token: customer,
      body: { providerId: cat.providerId, serviceId: cat.s30, timeslotId: slots[5].id, appointmentId: id },
    });
    expect(move.status).toBe(201);
    const stale = await via('stale If-Match (412)', 'POST', `/appointments/${id}/reschedule`, {
      token: customer,
      headers: { 'idempotency-key': 'prism-mv-0', 'if-match': '"9"' },
      body: { reservationToken: move.json.reservationToken },
    });
    expect(stale.status).toBe(412);
    const moved = await via('reschedule', 'POST', `/appointments/${id}/reschedule`, {
      token: customer,
      headers: { 'idempotency-key': 'prism-mv-1', 'if-match': String(detail.headers.get('etag')) },
      body: { reservationToken: move.json.reservationToken, reason: 'later, please' },
    });
    expect(moved.status).toBe(200);
    const cancelled = await via('cancel', 'POST', `/appointments/${id}/cancel`, {
      token: customer,
      headers: { 'idempotency-key': 'prism-cx-1' },
      body: { reason: 'changed my mind' },
    });
    expect(cancelled.status).toBe(200);
    const again = await via('cancel a cancelled one (409)', 'POST', `/appointments/${id}/cancel`, {
      token: customer,
      headers: { 'idempotency-key': 'prism-cx-2' },
      body: {},
    });
    expect(again.status).toBe(409);

    const feed = await api(srv.url, admin, 'GET', `/admin/providers/${cat.providerId}/feed`);
    expect((await via('feed', 'GET', feed.json.path)).status).toBe(200);
    expect(
      (await via('feed bad token (404)', 'GET', `/providers/${cat.providerId}/calendar.ics?token=nope`))
        .status,
    ).toBe(404);
    expect((await via('realtime config', 'GET', '/realtime/config', { token: customer })).status).toBe(200);
    const channelAuth = await via('realtime auth (form)', 'POST', '/realtime/auth', {
      token: customer,
      form: `socket_id=123.456&channel_name=private-user.${cat.userId}.bookings`,
    });
    expect(channelAuth.status).toBe(200);

    const violations = exchanges.filter((e) => e.violations || /stoplight\.io\/prism\/errors/.test(e.body));
    expect(
      violations.map((v) => `${v.what}: ${v.status} ${v.violations ?? ''} ${v.body.slice(0, 400)}`),
    ).toEqual([]);
  }, 120_000);
});
