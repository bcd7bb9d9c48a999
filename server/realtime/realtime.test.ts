import Pusher from 'pusher';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { write } from '../outbox/write.js';
import { sweepExpired } from '../reservations/reservations.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import { rawConnect, type Recorder, record } from './testing.js';

/**
 * The unmodified pusher-js client (Node build) against the real app listening on a random
 * port: private channels through /realtime/auth, booking events after real HTTP requests,
 * timeslot.updated for holds and expiries, the Pusher HTTP API with the official SDK.
 */

const DAY = '2030-01-08';
let h: Harness;
let base: string;
const open: Recorder[] = [];

beforeEach(async () => {
  h = await makeHarness({ listen: true });
  const addr = h.app.server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});
afterEach(async () => {
  for (const r of open.splice(0)) r.close();
  await h.close();
});

async function rec(o: { token: string; userIds?: string[]; providerIds?: string[] }) {
  const r = await record({ server: base, ...o });
  open.push(r);
  return r;
}

async function http(method: string, path: string, token: string, body?: unknown, headers = {}) {
  const r = await fetch(base + path, {
    method,
    headers: {
      ...auth(token, headers),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined, headers: r.headers };
}

describe('pusher-js against the embedded hub', () => {
  it('GET /realtime/config tells pusher-js where to connect (port from the Host header)', async () => {
    const r = await http('GET', '/realtime/config', h.tokens.alice);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      key: h.ctx.config.pusherKey,
      wsHost: '127.0.0.1',
      wsPort: Number(new URL(base).port),
      forceTLS: false,
      authEndpoint: `${base}/realtime/auth`,
    });
    expect((await http('GET', '/realtime/config', 'nope')).status).toBe(401);
  });

  it('a private channel through /realtime/auth receives booking.cancelled after a real cancel', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const appt = await bookVia(h, slots[0].id, { token: h.tokens.alice });
    const r = await rec({ token: h.tokens.alice, userIds: [h.ids.alice] });
    await r.subscribed(`private-user.${h.ids.alice}.bookings`);
    expect(r.states).toContain('connected');
    const t0 = Date.now();
    const c = await http(
      'POST',
      `/appointments/${appt.id}/cancel`,
      h.tokens.alice,
      { reason: 'cannot come' },
      { 'idempotency-key': 'rt-cancel-1' },
    );
    expect(c.status).toBe(200);
    const e = await r.next((x) => x.event === 'booking.cancelled');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(e.channel).toBe(`private-user.${h.ids.alice}.bookings`);
    const data = e.data as { appointment: { id: string; status: string }; feeCents: number; version: number };
    expect(data.appointment.id).toBe(appt.id);
    expect(data.appointment.status).toBe('cancelled');
    expect(data.version).toBe(c.json.appointment.version);
    expect(data.feeCents).toBe(c.json.feeCents);
  });

  it('booking.confirmed, booking.rescheduled (old and new slot) and booking.updated reach the owner', async () => {
    const r = await rec({ token: h.tokens.alice, userIds: [h.ids.alice] });
    await r.subscribed(`private-user.${h.ids.alice}.bookings`);
    const slots = (await slotsOf(h, DAY)).timeslots;
    const appt = await bookVia(h, slots[0].id, { token: h.tokens.alice });
    const confirmed = await r.next((x) => x.event === 'booking.confirmed');
    expect((confirmed.data as { appointment: { id: string } }).appointment.id).toBe(appt.id);

    const hold = await http('POST', '/reservations', h.tokens.alice, {
      providerId: h.ids.provider,
      serviceId: h.ids.service,
      timeslotId: slots[4].id,
      appointmentId: appt.id,
    });
    expect(hold.status).toBe(201);
    const moved = await http(
      'POST',
      `/appointments/${appt.id}/reschedule`,
      h.tokens.alice,
      { reservationToken: hold.json.reservationToken },
      { 'idempotency-key': 'rt-move-1' },
    );
    expect(moved.status).toBe(200);
    const e = await r.next((x) => x.event === 'booking.rescheduled');
    expect(e.data).toMatchObject({
      appointment: { id: appt.id },
      previous: { start: slots[0].start, end: slots[0].end },
      next: { start: slots[4].start, end: slots[4].end },
      version: 2,
    });

    h.clock.set(Date.parse(slots[4].start) + 60_000);
    const done = await http('POST', `/appointments/${appt.id}/complete`, h.tokens.staff, {});
    expect(done.status).toBe(200);
    const u = await r.next((x) => x.event === 'booking.updated');
    expect(u.data).toMatchObject({ appointmentId: appt.id, updates: { status: 'completed' }, version: 3 });
  });

  it('timeslot.updated on a hold, and again when the hold expires (sweeper)', async () => {
    const r = await rec({ token: h.tokens.alice, providerIds: [h.ids.provider] });
    await r.subscribed(`provider.${h.ids.provider}.availability`);
    const slot = (await slotsOf(h, DAY)).timeslots[3];
    const hold = await http('POST', '/reservations', h.tokens.alice, {
      providerId: h.ids.provider,
      serviceId: h.ids.service,
      timeslotId: slot.id,
    });
    expect(hold.status).toBe(201);
    const held = await r.next((x) => x.event === 'timeslot.updated' && (x.data as any).status === 'reserved');
    expect(held.channel).toBe(`provider.${h.ids.provider}.availability`);
    expect(held.data).toMatchObject({
      providerId: h.ids.provider,
      serviceId: h.ids.service,
      date: DAY,
      timeslotId: slot.id,
      status: 'reserved',
    });
    // the 60-minute service's overlapping slots are announced too
    const changes = (held.data as { changes: { timeslotId: string; status: string; serviceId: string }[] })
      .changes;
    expect(changes.filter((c) => c.serviceId === h.ids.service60 && c.status === 'reserved')).toHaveLength(2);

    const from = r.events.length;
    h.clock.advance(91_000);
    expect(await write(h.ctx, async (w) => await sweepExpired(w.db, w))).toBe(1);
    const freed = await r.next((x) => x.event === 'timeslot.updated', 3000, from);
    expect(freed.data).toMatchObject({ timeslotId: slot.id, status: 'available', date: DAY });
    const now = (await slotsOf(h, DAY)).timeslots.find((s) => s.id === slot.id);
    expect(now?.status).toBe('available');
  });

  it('a user cannot subscribe to another user’s channel; staff can', async () => {
    const r = await rec({ token: h.tokens.bob, userIds: [h.ids.alice, h.ids.bob] });
    await r.subscribed(`private-user.${h.ids.bob}.bookings`);
    const refused = `private-user.${h.ids.alice}.bookings`;
    await expect(r.subscribed(refused)).rejects.toThrow(/refused/);
    expect(r.errors[0]).toMatchObject({ channel: refused, error: { status: 403 } });
    expect(h.ctx.realtime.hub.subscriberCount(refused)).toBe(0);

    const s = await rec({ token: h.tokens.staff, userIds: [h.ids.alice] });
    await s.subscribed(refused);
    const slots = (await slotsOf(h, DAY)).timeslots;
    await bookVia(h, slots[2].id, { token: h.tokens.alice });
    await s.next((x) => x.event === 'booking.confirmed');
    // bob saw nothing of alice's booking
    await new Promise((res) => setTimeout(res, 100));
    expect(r.events.filter((e) => e.channel === refused)).toHaveLength(0);
  });

  it('channels can be followed and dropped while connected', async () => {
    const hub = h.ctx.realtime.hub;
    const ch = `provider.${h.ids.provider}.availability`;
    const r = await rec({ token: h.tokens.staff });
    r.client.watchProvider(h.ids.provider);
    r.client.watchProvider(h.ids.provider); // once is enough
    await r.subscribed(ch);
    expect(r.client.channels()).toEqual([ch]);
    expect(hub.subscriberCount(ch)).toBe(1);
    await bookVia(h, (await slotsOf(h, DAY)).timeslots[6].id);
    await r.next((e) => e.event === 'timeslot.updated');
    r.client.unwatchProvider(h.ids.provider);
    await waitUntil(() => hub.subscriberCount(ch) === 0);
    expect(r.client.channels()).toEqual([]);
  });

  it('a killed connection does not leak subscriptions', async () => {
    const hub = h.ctx.realtime.hub;
    const before = hub.stats();
    const key = h.ctx.config.pusherKey;
    const clients = await Promise.all(
      [1, 2, 3].map(() => rawConnect(`${base.replace('http', 'ws')}/app/${key}?protocol=7`)),
    );
    for (const c of clients) {
      c.send({ event: 'pusher:subscribe', data: { channel: `provider.${h.ids.provider}.availability` } });
      c.send({ event: 'pusher:subscribe', data: { channel: 'test-public' } });
      await c.next(
        (f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === 'test-public',
      );
    }
    expect(hub.stats()).toMatchObject({
      connections: before.connections + 3,
      subscriptions: before.subscriptions + 6,
    });
    clients[0].ws.terminate(); // no close handshake: the TCP connection just dies
    clients[1].ws.terminate();
    await Promise.all([clients[0].closed, clients[1].closed]);
    await waitUntil(() => hub.stats().connections === before.connections + 1);
    expect(hub.stats()).toMatchObject({ subscriptions: before.subscriptions + 2 });
    expect(hub.subscriberCount('test-public')).toBe(1);
    clients[2].ws.close();
    await waitUntil(() => hub.stats().connections === before.connections);
    expect(hub.stats()).toMatchObject({ subscriptions: before.subscriptions, channels: before.channels });
  });

  it('closing the app closes sockets with 1001 and leaves nothing behind', async () => {
    const c = await rawConnect(`${base.replace('http', 'ws')}/app/${h.ctx.config.pusherKey}?protocol=7`);
    c.send({ event: 'pusher:subscribe', data: { channel: 'test-public' } });
    await c.next((f) => f.event === 'pusher_internal:subscription_succeeded');
    const hub = h.ctx.realtime.hub;
    await h.app.close();
    expect((await c.closed).code).toBe(1001);
    expect(hub.stats()).toMatchObject({ connections: 0, subscriptions: 0, channels: 0 });
  });
});

describe('the Pusher HTTP events API with the official pusher SDK', () => {
  const sdk = (secret: string) =>
    new Pusher({
      appId: h.ctx.config.pusherAppId,
      key: h.ctx.config.pusherKey,
      secret,
      host: '127.0.0.1',
      port: new URL(base).port,
      useTLS: false,
    });

  it('a wrong secret gets 401; the right one reaches a pusher-js subscriber', async () => {
    const r = await rec({ token: h.tokens.alice, userIds: [h.ids.alice], providerIds: [h.ids.provider] });
    await r.subscribed(`private-user.${h.ids.alice}.bookings`);
    await expect(
      sdk('wrong-secret').trigger(`provider.${h.ids.provider}.availability`, 'x', {}),
    ).rejects.toMatchObject({ status: 401 });
    const res = await sdk(h.ctx.config.pusherSecret).trigger(`private-user.${h.ids.alice}.bookings`, 'note', {
      hello: 'alice',
    });
    expect(res.status).toBe(200);
    const e = await r.next((x) => x.event === 'note');
    expect(e).toEqual({
      channel: `private-user.${h.ids.alice}.bookings`,
      event: 'note',
      data: { hello: 'alice' },
    });
    // batch_events and several channels at once
    await sdk(h.ctx.config.pusherSecret).triggerBatch([
      { channel: `provider.${h.ids.provider}.availability`, name: 'b1', data: { n: 1 } },
    ]);
    await r.next((x) => x.event === 'b1');
    await sdk(h.ctx.config.pusherSecret).trigger(
      [`provider.${h.ids.provider}.availability`, `private-user.${h.ids.alice}.bookings`],
      'both',
      'plain text',
    );
    await r.next((x) => x.event === 'both' && x.channel.startsWith('provider.'));
    await r.next((x) => x.event === 'both' && x.channel.startsWith('private-'));
  });

  it('refuses stale timestamps, a tampered body, unknown apps and bad bodies', async () => {
    const { signApiRequest } = await import('./protocol.js');
    const path = `/apps/${h.ctx.config.pusherAppId}/events`;
    const send = async (body: string, o: { secs?: number; signedBody?: string; p?: string } = {}) => {
      const qs = signApiRequest({
        key: h.ctx.config.pusherKey,
        secret: h.ctx.config.pusherSecret,
        method: 'POST',
        path: o.p ?? path,
        body: o.signedBody ?? body,
        nowSeconds: o.secs ?? Math.floor(Date.now() / 1000),
      });
      const r = await fetch(`${base}${o.p ?? path}?${qs}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      return { status: r.status, json: (await r.json()) as { code?: string } };
    };
    const good = JSON.stringify({ name: 'e', channels: ['test'], data: '{}' });
    expect((await send(good)).status).toBe(200);
    const stale = await send(good, { secs: Math.floor(Date.now() / 1000) - 3600 });
    expect(stale).toMatchObject({ status: 401, json: { code: 'stale_signature' } });
    const tampered = await send(good.replace('"e"', '"f"'), { signedBody: good });
    expect(tampered).toMatchObject({ status: 401, json: { code: 'bad_signature' } });
    expect((await send(good, { p: '/apps/nope/events' })).status).toBe(404);
    const noChannels = await send(JSON.stringify({ name: 'e', data: '{}' }));
    expect(noChannels).toMatchObject({ status: 400, json: { code: 'validation' } });
    const badChannel = await send(JSON.stringify({ name: 'e', channel: 'no spaces', data: '{}' }));
    expect(badChannel.status).toBe(400);
    const objData = await send(JSON.stringify({ name: 'e', channel: 'x', data: { a: 1 } }));
    expect(objData.status).toBe(400);
    const unsigned = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: good,
    });
    expect(unsigned.status).toBe(401);
  });
});

async function waitUntil(fn: () => boolean, timeoutMs = 3000) {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
