import { afterEach, describe, expect, it } from 'vitest';
import { write } from '../outbox/write.js';
import type { Actor } from '../audit/audit.js';
import { addTimeOff } from '../catalog/catalog.js';
import { createReservation, releaseReservation } from '../reservations/reservations.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import type { TimeslotUpdated } from './feed.js';
import { channelAuth } from './protocol.js';
import { rawConnect, type Recorder, record } from './testing.js';

/**
 * Availability messages (coalescing, final state), /realtime/auth's rules over HTTP, a
 * tampered signature against the real app, and publishing to an external hub.
 */

const DAY = '2030-01-08';
const harnesses: Harness[] = [];
const recorders: Recorder[] = [];

async function harness(opts: Parameters<typeof makeHarness>[0] = {}) {
  const h = await makeHarness({ listen: true, ...opts });
  harnesses.push(h);
  return { h, base: `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}` };
}
async function rec(o: Parameters<typeof record>[0]) {
  const r = await record(o);
  recorders.push(r);
  return r;
}
afterEach(async () => {
  for (const r of recorders.splice(0)) r.close();
  for (const h of harnesses.splice(0)) await h.close();
});

type Statuses = Map<string, string>;
async function statusesOf(h: Harness, serviceId: string): Promise<Statuses> {
  return new Map((await slotsOf(h, DAY, serviceId)).timeslots.map((s) => [s.id, s.status]));
}

describe('timeslot.updated coalescing', () => {
  it('100 slot changes in about 100 ms → a handful of messages, and the last state equals GET availability', async () => {
    const { h, base } = await harness();
    const channel = `provider.${h.ids.provider}.availability`;
    const r = await rec({ server: base, token: h.tokens.staff, providerIds: [h.ids.provider] });
    await r.subscribed(channel);
    // what a client holds: the day of both services, then patched by every message
    const view = new Map([
      [h.ids.service, await statusesOf(h, h.ids.service)],
      [h.ids.service60, await statusesOf(h, h.ids.service60)],
    ]);
    const slots = (await slotsOf(h, DAY)).timeslots;
    const held = new Map<number, string>();
    // domain calls, as the routes make them: each commits and publishes on the bus
    const staff: Actor = { id: 'desk', type: 'staff', role: 'staff', channel: 'api' };
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) {
      const k = i % 16;
      const token = held.get(k);
      if (token) {
        await write(h.ctx, async (w) => await releaseReservation(w.db, w, staff, token));
        held.delete(k);
      } else {
        const res = await write(
          h.ctx,
          async (w) =>
            await createReservation(
              w.db,
              w,
              staff,
              { providerId: h.ids.provider, serviceId: h.ids.service, timeslotId: slots[k].id },
              90,
            ),
        );
        held.set(k, res.reservationToken);
      }
      // one change per millisecond, the event loop turning in between (as under real traffic)
      while (performance.now() < t0 + i + 1) await new Promise((res) => setImmediate(res));
    }
    const elapsed = performance.now() - t0;
    // the last window closes ~250 ms after the last change; then nothing more may come
    await waitUntil(() => h.ctx.realtime.feed.pending() === 0);
    await new Promise((res) => setTimeout(res, 300));
    const msgs = r.events.filter((e) => e.event === 'timeslot.updated');
    // one message at once, then at most one per 250 ms while changes keep coming (the burst
    // takes ~100 ms on SQLite, ~1 s on PostgreSQL where each change is a round trip)
    expect(msgs.length).toBeGreaterThanOrEqual(1);
    expect(msgs.length).toBeLessThanOrEqual(2 + Math.ceil(elapsed / 250));
    for (const m of msgs) {
      const d = m.data as TimeslotUpdated;
      expect(d).toMatchObject({ providerId: h.ids.provider, date: DAY });
      expect(d.changes.find((c) => c.timeslotId === d.timeslotId)?.status).toBe(d.status);
      for (const c of d.changes) view.get(c.serviceId)!.set(c.timeslotId, c.status);
    }
    expect(held.size).toBe(4); // slots 0–3 end held
    expect(view.get(h.ids.service)).toEqual(await statusesOf(h, h.ids.service));
    expect(view.get(h.ids.service60)).toEqual(await statusesOf(h, h.ids.service60));
    expect([...(await statusesOf(h, h.ids.service)).values()].filter((s) => s === 'reserved')).toHaveLength(
      4,
    );
    expect(h.ctx.realtime.feed.pending()).toBe(0);
  });

  it('bookings, cancellations and time off are announced; far-ahead and past changes stay bounded', async () => {
    const { h, base } = await harness();
    const r = await rec({ server: base, token: h.tokens.staff, providerIds: [h.ids.provider] });
    await r.subscribed(`provider.${h.ids.provider}.availability`);
    const slots = (await slotsOf(h, DAY)).timeslots;
    const appt = await bookVia(h, slots[5].id);
    const booked = await r.next(
      (e) =>
        (e.data as TimeslotUpdated).timeslotId === slots[5].id &&
        (e.data as TimeslotUpdated).status === 'booked',
    );
    expect(booked.event).toBe('timeslot.updated');
    const c = await h.app.inject({
      method: 'POST',
      url: `/appointments/${appt.id}/cancel`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'feed-cancel' }),
      payload: {},
    });
    expect(c.statusCode).toBe(200);
    await r.next(
      (e) =>
        (e.data as TimeslotUpdated).timeslotId === slots[5].id &&
        (e.data as TimeslotUpdated).status === 'available',
    );
    // time off over the afternoon of DAY → those slots become blocked
    await write(
      h.ctx,
      async (w) =>
        await addTimeOff(
          w.db,
          w,
          { id: 't', type: 'admin', role: 'admin', channel: 'system' },
          h.ids.provider,
          {
            start: '2030-01-08T19:00:00Z',
            end: '2030-01-08T20:00:00Z',
          },
        ),
    );
    const off = await r.next((e) => (e.data as TimeslotUpdated).status === 'blocked');
    expect(
      (off.data as TimeslotUpdated).changes.filter((x) => x.status === 'blocked').length,
    ).toBeGreaterThanOrEqual(2);
    // a change a year long is announced for its first month only: one message per day at most
    const before = r.events.length;
    await write(
      h.ctx,
      async (w) =>
        await addTimeOff(
          w.db,
          w,
          { id: 't', type: 'admin', role: 'admin', channel: 'system' },
          h.ids.provider,
          {
            start: '2030-02-01T00:00:00Z',
            end: '2031-02-01T00:00:00Z',
          },
        ),
    );
    // each date's message is computed off the request path; wait for them (bounded)
    const datesSeen = () => new Set(r.events.slice(before).map((e) => (e.data as TimeslotUpdated).date));
    for (let t = Date.now(); datesSeen().size <= 25 && Date.now() - t < 5_000; )
      await new Promise((res) => setTimeout(res, 50));
    await new Promise((res) => setTimeout(res, 300));
    const dates = datesSeen();
    expect(dates.size).toBeGreaterThan(25);
    expect(dates.size).toBeLessThanOrEqual(33);
  });
});

describe('timeslot.updated only while someone listens', () => {
  it('no subscriber on the provider channel: nothing is recomputed or sent; a subscriber gets the next change', async () => {
    const { h, base } = await harness();
    const slots = (await slotsOf(h, DAY)).timeslots;
    const published = () => h.ctx.realtime.hub.stats().published;
    const staff: Actor = { id: 'desk', type: 'staff', role: 'staff', channel: 'api' };
    const holdSlot = (k: number) =>
      write(h.ctx, async (w) =>
        createReservation(
          w.db,
          w,
          staff,
          { providerId: h.ids.provider, serviceId: h.ids.service, timeslotId: slots[k].id },
          90,
        ),
      );
    const before = published();
    await holdSlot(0);
    await waitUntil(() => h.ctx.realtime.feed.pending() === 0);
    await new Promise((res) => setTimeout(res, 50));
    expect(published()).toBe(before);
    const r = await rec({ server: base, token: h.tokens.staff, providerIds: [h.ids.provider] });
    await r.subscribed(`provider.${h.ids.provider}.availability`);
    await holdSlot(1);
    const m = await r.next((e) => e.event === 'timeslot.updated');
    expect((m.data as TimeslotUpdated).timeslotId).toBe(slots[1].id);
    expect(published()).toBeGreaterThan(before);
  });
});

describe('POST /realtime/auth', () => {
  const form = (socketId: string, channel: string) =>
    `socket_id=${encodeURIComponent(socketId)}&channel_name=${encodeURIComponent(channel)}`;

  it('signs a user’s own channel (form-encoded, exactly 200 { auth }); staff, support and admin any', async () => {
    const { h } = await harness();
    const ch = `private-user.${h.ids.alice}.bookings`;
    for (const token of [h.tokens.alice, h.tokens.staff, h.tokens.support, h.tokens.admin]) {
      const r = await h.app.inject({
        method: 'POST',
        url: '/realtime/auth',
        headers: auth(token, { 'content-type': 'application/x-www-form-urlencoded' }),
        payload: form('123.456', ch),
      });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({
        auth: channelAuth(h.ctx.config.pusherKey, h.ctx.config.pusherSecret, '123.456', ch),
      });
    }
    const json = await h.app.inject({
      method: 'POST',
      url: '/realtime/auth',
      headers: auth(h.tokens.staff),
      payload: { socket_id: '1.2', channel_name: 'private-anything' },
    });
    expect(json.statusCode).toBe(200);
  });

  it('refuses others’ channels (403), no token (401), public/presence channels and bad input (400)', async () => {
    const { h } = await harness();
    const post = (token: string | null, body: string) =>
      h.app.inject({
        method: 'POST',
        url: '/realtime/auth',
        headers: {
          ...(token ? auth(token) : {}),
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: body,
      });
    const other = await post(h.tokens.bob, form('1.2', `private-user.${h.ids.alice}.bookings`));
    expect(other.statusCode).toBe(403);
    expect(other.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(other.json()).toMatchObject({ status: 403, code: 'forbidden' });
    expect((await post(h.tokens.bob, form('1.2', 'private-something-else'))).statusCode).toBe(403);
    expect((await post(null, form('1.2', `private-user.${h.ids.bob}.bookings`))).statusCode).toBe(401);
    for (const [body, what] of [
      [form('1.2', `provider.${h.ids.provider}.availability`), /public channels/],
      [form('1.2', 'presence-room'), /presence/],
      [form('abc', `private-user.${h.ids.bob}.bookings`), /socket_id/],
      [form('1.2', 'private-has space'), /channel_name/],
      ['socket_id=1.2', /channel_name/],
    ] as const) {
      const r = await post(h.tokens.bob, body);
      expect(r.statusCode).toBe(400);
      expect(r.json().detail).toMatch(what);
    }
  });

  it('the hub refuses a tampered signature from /realtime/auth and accepts the genuine one', async () => {
    const { h, base } = await harness();
    const c = await rawConnect(`${base.replace('http', 'ws')}/app/${h.ctx.config.pusherKey}?protocol=7`);
    const ch = `private-user.${h.ids.alice}.bookings`;
    const r = await h.app.inject({
      method: 'POST',
      url: '/realtime/auth',
      headers: auth(h.tokens.alice),
      payload: { socket_id: c.socketId, channel_name: ch },
    });
    const genuine = r.json().auth as string;
    const tampered = genuine.slice(0, -2) + (genuine.endsWith('aa') ? 'bb' : 'aa');
    c.send({ event: 'pusher:subscribe', data: { channel: ch, auth: tampered } });
    expect(await c.next((f) => f.event === 'pusher:subscription_error')).toMatchObject({
      channel: ch,
      data: { type: 'AuthError', status: 401 },
    });
    c.send({ event: 'pusher:subscribe', data: { channel: ch, auth: genuine } });
    await c.next((f) => f.event === 'pusher_internal:subscription_succeeded');
    c.ws.close();
  });
});

describe('publishing to an external Pusher-protocol service (APPT_PUSHER_URL)', () => {
  it('events of one server reach subscribers of another hub; clients are pointed there', async () => {
    const hubSide = await harness();
    const cfg = hubSide.h.ctx.config;
    const port = new URL(hubSide.base).port;
    const pusherUrl = `http://${cfg.pusherKey}:${cfg.pusherSecret}@127.0.0.1:${port}/apps/${cfg.pusherAppId}`;
    const { h, base } = await harness({
      config: { pusherUrl, pusherKey: 'local-key', pusherSecret: 'local-secret', pusherAppId: 'local' },
    });
    const conf = await h.app.inject({
      method: 'GET',
      url: '/realtime/config',
      headers: auth(h.tokens.alice),
    });
    expect(conf.json()).toMatchObject({ key: cfg.pusherKey, wsHost: '127.0.0.1', wsPort: Number(port) });
    const r = await rec({
      server: base,
      token: h.tokens.alice,
      userIds: [h.ids.alice],
      providerIds: [h.ids.provider],
    });
    await r.subscribed(`private-user.${h.ids.alice}.bookings`);
    expect(hubSide.h.ctx.realtime.hub.stats().subscriptions).toBe(2);
    expect(h.ctx.realtime.hub.stats().connections).toBe(0);
    const slots = (await slotsOf(h, DAY)).timeslots;
    const appt = await bookVia(h, slots[1].id, { token: h.tokens.alice });
    const e = await r.next((x) => x.event === 'booking.confirmed');
    expect((e.data as { appointment: { id: string } }).appointment.id).toBe(appt.id);
    await r.next((x) => x.event === 'timeslot.updated' && (x.data as TimeslotUpdated).status === 'booked');
  });

  it('a refused or unreachable external service is logged and does not fail the request', async () => {
    const { h } = await harness({ config: { pusherUrl: 'http://k:s@127.0.0.1:9/apps/1' } });
    const slots = (await slotsOf(h, DAY)).timeslots;
    await bookVia(h, slots[1].id, { token: h.tokens.alice });
    const pub = h.ctx.realtime.publisher as unknown as {
      flush(): Promise<void>;
      stats(): { failed: number };
    };
    await new Promise((res) => setTimeout(res, 50));
    await pub.flush();
    expect(pub.stats().failed).toBeGreaterThanOrEqual(1);
  });
});

async function waitUntil(fn: () => boolean, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
