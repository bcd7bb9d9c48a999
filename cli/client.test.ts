import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness, slotsOf } from '../server/testing/harness.js';
import { ApiClient, ApiError, etagVersion, OfflineError, retryAfterMs } from '../shared/client.js';
import { createQueryClient, keys, STALE, staleTimeFor } from '../shared/query.js';

let h: Harness;
let url: string;
beforeAll(async () => {
  h = await makeHarness({ listen: true });
  const a = h.app.server.address() as AddressInfo;
  url = `http://127.0.0.1:${a.port}`;
});
afterAll(() => h.close());

describe('ApiClient', () => {
  it('reads /me, sends the channel, and returns typed data', async () => {
    const c = new ApiClient({ baseUrl: url, token: h.tokens.staff, channel: 'cli' });
    const me = await c.me();
    expect(me.role).toBe('staff');
    await c.close();
  });

  it('turns problem+json into ApiError with code, status and detail', async () => {
    const c = new ApiClient({ baseUrl: url, token: h.tokens.staff });
    const e = await c.appointment('nope').catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(404);
    expect(e.code).toBe('not_found');
    const bad = new ApiClient({ baseUrl: url, token: 'wrong' });
    const e2 = await bad.me().catch((x) => x);
    expect(e2.status).toBe(401);
    expect(e2.code).toBe('unauthorized');
    await Promise.all([c.close(), bad.close()]);
  });

  it('holds with an Idempotency-Key (same key → same hold) and carries alternatives on slot_taken', async () => {
    const c = new ApiClient({ baseUrl: url, token: h.tokens.staff });
    const slots = await slotsOf(h, '2030-01-08');
    const ts = slots.timeslots[0].id;
    const body = {
      providerId: h.ids.provider,
      serviceId: h.ids.service,
      timeslotId: ts,
      userId: h.ids.alice,
    };
    const a = await c.hold(body, 'k-hold-1');
    const b = await c.hold(body, 'k-hold-1');
    expect(b.reservationToken).toBe(a.reservationToken);
    const e = await c.hold(body).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('slot_taken');
    expect(Array.isArray(e.alternatives)).toBe(true);
    const booked = await c.book({ reservationToken: a.reservationToken, userId: h.ids.alice }, 'k-book-1');
    expect(booked.status).toBe(201);
    expect(booked.version).toBe(booked.data.version);
    const again = await c.book({ reservationToken: a.reservationToken, userId: h.ids.alice }, 'k-book-1');
    expect(again.replayed).toBe(true);
    const stale = await c
      .cancel(booked.data.id, {}, { idempotencyKey: 'k-c-1', ifMatch: booked.data.version + 5 })
      .catch((x) => x);
    expect(stale.status).toBe(412);
    await c.close();
  });

  it('reports an unreachable server as OfflineError', async () => {
    const c = new ApiClient({ baseUrl: 'http://127.0.0.1:1', token: 'x' });
    await expect(c.me()).rejects.toBeInstanceOf(OfflineError);
    await c.close();
  });

  it('retries a 429 after Retry-After, bounded', async () => {
    let hits = 0;
    const srv = createServer((_req, res) => {
      hits++;
      if (hits < 3) {
        res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ code: 'rate_limited', status: 429, detail: 'slow down' }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"tokenId":"t","name":"n","role":"staff"}');
      }
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    const waits: number[] = [];
    const told: string[] = [];
    const c = new ApiClient({
      baseUrl: `http://127.0.0.1:${port}`,
      sleep: async (ms) => void waits.push(ms),
      onWait: (ms, why) => void told.push(`${why} ${ms}`),
    });
    expect((await c.me()).role).toBe('staff');
    expect(waits).toEqual([0, 0]);
    // the person is told before each wait, not left staring at a silent terminal
    expect(told).toEqual(['rate_limited 0', 'rate_limited 0']);
    hits = -10;
    const c2 = new ApiClient({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1, sleep: async () => {} });
    const e = await c2.me().catch((x) => x);
    expect(e.status).toBe(429);
    expect(e.code).toBe('rate_limited');
    await Promise.all([c.close(), c2.close()]);
    srv.close();
  });

  it('resends a keyed request while the same key is still in flight (409 idempotency_in_flight)', async () => {
    let hits = 0;
    const srv = createServer((_req, res) => {
      hits++;
      if (hits % 3 !== 0) {
        res.writeHead(409, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ code: 'idempotency_in_flight', status: 409, detail: 'in flight' }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"appointment":{},"feeCents":0,"refundCents":0}');
      }
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    const c = new ApiClient({ baseUrl: `http://127.0.0.1:${port}`, sleep: async () => {} });
    expect((await c.cancel('a', {}, { idempotencyKey: 'k' })).status).toBe(200);
    expect(hits).toBe(3);
    // without a key nothing is resent
    const e = await c.request('GET', '/x').catch((x) => x);
    expect(e.code).toBe('idempotency_in_flight');
    await c.close();
    srv.close();
  });

  it('parses Retry-After and ETag forms', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(etagVersion('"7"')).toBe(7);
    expect(etagVersion('W/"3"')).toBe(3);
    expect(etagVersion(undefined)).toBeUndefined();
  });

  it('rejects a non-http base URL', () => {
    expect(() => new ApiClient({ baseUrl: 'ftp://x' })).toThrow(/http/);
    expect(() => new ApiClient({ baseUrl: 'nope' })).toThrow(/server URL/);
  });
});

describe('query keys', () => {
  it('uses the seed keys and stale times', () => {
    expect(keys.appointments('u1', 'upcoming')).toEqual(['appointments', 'u1', 'upcoming']);
    expect(keys.appointment('a')).toEqual(['appointment', 'a']);
    expect(keys.availability('p', 's', '2030-01-01')).toEqual(['availability', 'p', 's', '2030-01-01']);
    expect(staleTimeFor(keys.availability('p', 's', 'd'))).toBe(15_000);
    expect(staleTimeFor(keys.appointments('u', 'history'))).toBe(STALE.list);
    const qc = createQueryClient();
    expect(qc.getDefaultOptions().queries?.staleTime).toBe(30_000);
  });
});
