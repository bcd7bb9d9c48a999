import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { Hub, type HubOptions } from './hub.js';
import { channelAuth } from './protocol.js';
import { type RawClient, rawConnect } from './testing.js';

/**
 * The hub frame by frame over a bare `ws` server (no Fastify): handshake refusals with
 * Pusher close codes, ping/pong and liveness, subscribe/unsubscribe, private signatures,
 * limits, `pusher:error` for bad frames, shutdown.
 */

const KEY = 'test-key';
const SECRET = 'test-secret';
let wss: WebSocketServer | null = null;
let hub: Hub | null = null;
const clients: RawClient[] = [];

async function start(opts: Partial<HubOptions> = {}) {
  hub = new Hub({ key: KEY, secret: SECRET, ...opts });
  const h = hub;
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', (ws, req) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const m = /^\/app\/([^/]+)$/.exec(u.pathname);
    h.accept(ws, m ? decodeURIComponent(m[1]) : '', Object.fromEntries(u.searchParams));
  });
  await new Promise((r) => wss!.once('listening', r));
  const port = (wss.address() as AddressInfo).port;
  return {
    hub: h,
    url: (path = `/app/${KEY}?protocol=7&client=js&version=8.6.0`) => `ws://127.0.0.1:${port}${path}`,
  };
}

async function connect(url: string) {
  const c = await rawConnect(url);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await hub?.close(100);
  hub = null;
  await new Promise((r) => (wss ? wss.close(r) : r(undefined)));
  wss = null;
});

const sub = (channel: string, auth?: string) => ({
  event: 'pusher:subscribe',
  data: auth ? { channel, auth } : { channel },
});

describe('handshake', () => {
  it('sends pusher:connection_established with a socket id and the activity timeout', async () => {
    const s = await start({ activityTimeoutSeconds: 90 });
    const c = await connect(s.url());
    expect(c.frames[0].event).toBe('pusher:connection_established');
    expect(c.frames[0].data).toEqual({ socket_id: c.socketId, activity_timeout: 90 });
    expect(c.socketId).toMatch(/^\d+\.\d+$/);
    expect(s.hub.stats().connections).toBe(1);
  });

  it.each([
    ['an unknown app key', '/app/other?protocol=7', 4001],
    ['no protocol', `/app/${KEY}`, 4008],
    ['a malformed protocol', `/app/${KEY}?protocol=seven`, 4006],
    ['an unsupported protocol', `/app/${KEY}?protocol=4`, 4007],
  ])('refuses %s with pusher:error and close code %i', async (_what, path, code) => {
    const s = await start();
    const c = await connect(s.url(path));
    expect(c.frames[0]).toMatchObject({ event: 'pusher:error', data: { code } });
    expect((await c.closed).code).toBe(code);
    expect(s.hub.stats().connections).toBe(0);
  });

  it('refuses connections beyond the limit with 4100 (back off and retry)', async () => {
    const s = await start({ maxConnections: 2 });
    await connect(s.url());
    await connect(s.url());
    const third = await connect(s.url());
    expect(third.frames[0]).toMatchObject({ event: 'pusher:error', data: { code: 4100 } });
    expect((await third.closed).code).toBe(4100);
  });
});

describe('frames', () => {
  it('answers pusher:ping with pusher:pong', async () => {
    const s = await start();
    const c = await connect(s.url());
    c.send({ event: 'pusher:ping', data: {} });
    expect(await c.next((f) => f.event === 'pusher:pong')).toEqual({ event: 'pusher:pong', data: {} });
  });

  it('answers bad frames with pusher:error 4300 and keeps the connection', async () => {
    const s = await start({ maxFrameBytes: 1024 });
    const c = await connect(s.url());
    const bad: [unknown, RegExp][] = [
      ['not json', /Invalid JSON/],
      [{ data: {} }, /string "event"/],
      [{ event: 'client-typing', channel: 'x', data: '{}' }, /Client events/],
      [{ event: 'pusher:whatever', data: {} }, /Unknown event/],
      [{ event: 'pusher:subscribe', data: { channel: 'has space' } }, /valid channel/],
      [{ event: 'pusher:subscribe', data: 'nonsense' }, /valid channel/],
      [{ event: 'pusher:unsubscribe', data: {} }, /valid channel/],
      [{ event: 'pusher:signin', data: {} }, /not supported/],
      [{ event: 'pusher:ping', data: 'x'.repeat(2000) }, /too large/],
    ];
    for (const [frame, msg] of bad) {
      c.send(frame);
      const e = await c.next((f) => f.event === 'pusher:error');
      expect(e.data.code).toBe(4300);
      expect(e.data.message).toMatch(msg);
    }
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await c.next((f) => f.event === 'pusher:error')).data).toMatchObject({ code: 4300 });
    c.send({ event: 'pusher:ping', data: {} });
    await c.next((f) => f.event === 'pusher:pong');
    expect(s.hub.stats().connections).toBe(1);
  });

  it('drops frames beyond the rate limit with one pusher:error 4301', async () => {
    const s = await start({ maxFramesPerSecond: 5 });
    const c = await connect(s.url());
    for (let i = 0; i < 12; i++) c.send({ event: 'pusher:ping', data: {} });
    await c.next((f) => f.event === 'pusher:error');
    await new Promise((r) => setTimeout(r, 100));
    expect(c.frames.filter((f) => f.event === 'pusher:pong')).toHaveLength(5);
    expect(c.frames.filter((f) => f.event === 'pusher:error')).toEqual([
      { event: 'pusher:error', data: { code: 4301, message: expect.stringMatching(/Too many/) } },
    ]);
    expect(s.hub.stats().connections).toBe(1);
  });
});

describe('channels', () => {
  it('subscribes, publishes to subscribers only (minus socket_id), unsubscribes', async () => {
    const s = await start();
    const a = await connect(s.url());
    const b = await connect(s.url());
    a.send(sub('provider.p1.availability'));
    b.send(sub('provider.p1.availability'));
    expect(await a.next((f) => f.event === 'pusher_internal:subscription_succeeded')).toEqual({
      event: 'pusher_internal:subscription_succeeded',
      channel: 'provider.p1.availability',
      data: {},
    });
    await b.next((f) => f.event === 'pusher_internal:subscription_succeeded');
    // subscribing twice is harmless
    a.send(sub('provider.p1.availability'));
    await a.next((f) => f.event === 'pusher_internal:subscription_succeeded');
    expect(s.hub.stats()).toMatchObject({ connections: 2, subscriptions: 2, channels: 1 });

    expect(s.hub.publish('provider.p1.availability', 'timeslot.updated', { n: 1 })).toBe(2);
    expect(s.hub.publish('provider.p2.availability', 'timeslot.updated', { n: 0 })).toBe(0);
    const got = await a.next((f) => f.event === 'timeslot.updated');
    expect(got).toEqual({ event: 'timeslot.updated', channel: 'provider.p1.availability', data: { n: 1 } });
    await b.next((f) => f.event === 'timeslot.updated');
    expect(s.hub.publish('provider.p1.availability', 'x', '{"n":2}', a.socketId)).toBe(1);
    await b.next((f) => f.event === 'x');

    a.send({ event: 'pusher:unsubscribe', data: { channel: 'provider.p1.availability' } });
    a.send({ event: 'pusher:unsubscribe', data: { channel: 'never.subscribed' } });
    a.send({ event: 'pusher:ping', data: {} });
    await a.next((f) => f.event === 'pusher:pong');
    expect(s.hub.stats()).toMatchObject({ subscriptions: 1, channels: 1 });
    expect(s.hub.publish('provider.p1.availability', 'y', {})).toBe(1);
  });

  it('private channels need the HMAC of socket_id:channel; forged or borrowed ones are refused', async () => {
    const s = await start();
    const c = await connect(s.url());
    const other = await connect(s.url());
    const ch = 'private-user.u1.bookings';
    const good = channelAuth(KEY, SECRET, c.socketId, ch);
    const attempts = [
      undefined,
      `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`, // one hex digit changed
      channelAuth(KEY, 'wrong-secret', c.socketId, ch),
      channelAuth(KEY, SECRET, other.socketId, ch), // signed for another socket
      channelAuth(KEY, SECRET, c.socketId, 'private-user.u2.bookings'), // for another channel
    ];
    for (const auth of attempts) {
      c.send(sub(ch, auth));
      const e = await c.next((f) => f.event === 'pusher:subscription_error');
      expect(e).toEqual({
        event: 'pusher:subscription_error',
        channel: ch,
        data: { type: 'AuthError', error: expect.any(String), status: 401 },
      });
    }
    expect(s.hub.subscriberCount(ch)).toBe(0);
    c.send(sub(ch, good));
    await c.next((f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === ch);
    expect(s.hub.subscriberCount(ch)).toBe(1);
  });

  it('refuses presence and encrypted channels, and more channels than the limit', async () => {
    const s = await start({ maxChannelsPerConnection: 2 });
    const c = await connect(s.url());
    for (const ch of ['presence-room', 'private-encrypted-x']) {
      c.send(sub(ch, 'k:x'));
      expect((await c.next((f) => f.event === 'pusher:subscription_error')).data).toMatchObject({
        type: 'UnsupportedChannel',
        status: 400,
      });
    }
    c.send(sub('a'));
    c.send(sub('b'));
    c.send(sub('c'));
    const e = await c.next((f) => f.event === 'pusher:subscription_error');
    expect(e).toMatchObject({ channel: 'c', data: { type: 'LimitReached', status: 429 } });
    expect(s.hub.stats().subscriptions).toBe(2);
  });
});

describe('liveness and shutdown', () => {
  it('pings a silent client and closes it with 4201 when no pong comes', async () => {
    const s = await start({ activityTimeoutSeconds: 0.2, pongTimeoutMs: 200, sweepMs: 50 });
    const silent = await connect(s.url());
    const lively = await connect(s.url());
    lively.ws.on('message', (d) => {
      if (JSON.parse(d.toString()).event === 'pusher:ping') lively.send({ event: 'pusher:pong', data: {} });
    });
    await silent.next((f) => f.event === 'pusher:ping', 2000);
    const closed = await silent.closed;
    expect(closed).toEqual({ code: 4201, reason: 'Pong reply not received' });
    expect(lively.frames.some((f) => f.event === 'pusher:ping')).toBe(true);
    expect(lively.ws.readyState).toBe(1);
    expect(s.hub.stats().connections).toBe(1);
  });

  it('close() ends every socket with 1001 and refuses newcomers with 4200', async () => {
    const s = await start();
    const a = await connect(s.url());
    a.send(sub('x'));
    await a.next((f) => f.event === 'pusher_internal:subscription_succeeded');
    await s.hub.close();
    expect((await a.closed).code).toBe(1001);
    expect(s.hub.stats()).toMatchObject({ connections: 0, subscriptions: 0, channels: 0 });
    const late = await connect(s.url());
    expect(late.frames[0]).toMatchObject({ event: 'pusher:error', data: { code: 4200 } });
    expect((await late.closed).code).toBe(4200);
  });
});
