import { createHmac } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { makeHarness } from '../testing/harness.js';
import { httpPublisher } from './http-publisher.js';
import { Hub } from './hub.js';
import {
  channelAuth,
  channelKind,
  parsePusherUrl,
  signApiRequest,
  userOfChannel,
  verifyApiRequest,
  verifyChannelAuth,
} from './protocol.js';

/** The pure parts: signatures, channel names, APPT_PUSHER_URL; plus the publisher's queue and slow clients. */

describe('signatures', () => {
  it('channel auth is key:HMAC-SHA256(secret, socket_id:channel) in hex', () => {
    const a = channelAuth('k', 's', '1.2', 'private-x');
    expect(a).toBe(`k:${createHmac('sha256', 's').update('1.2:private-x').digest('hex')}`);
    expect(a).toMatch(/^k:[0-9a-f]{64}$/);
    expect(verifyChannelAuth('k', 's', '1.2', 'private-x', a)).toBe(true);
    expect(verifyChannelAuth('k', 's', '1.2', 'private-x', a.toUpperCase())).toBe(false);
    expect(verifyChannelAuth('k', 's', '1.2', 'private-x', 42)).toBe(false);
    expect(verifyChannelAuth('k', 's', '1.2', 'private-x', 'k:short')).toBe(false);
  });

  it('an API request signed here verifies, and every part of it is covered', () => {
    const body = '{"name":"e","channels":["c"],"data":"{}"}';
    const qs = signApiRequest({
      key: 'k',
      secret: 's',
      method: 'POST',
      path: '/apps/1/events',
      body,
      nowSeconds: 1000,
    });
    const query = Object.fromEntries(new URLSearchParams(qs));
    const check = (o: Partial<Parameters<typeof verifyApiRequest>[0]> = {}) =>
      verifyApiRequest({
        key: 'k',
        secret: 's',
        method: 'POST',
        path: '/apps/1/events',
        query,
        rawBody: body,
        nowSeconds: 1000,
        ...o,
      });
    expect(check()).toBeNull();
    expect(check({ nowSeconds: 1601 })).toMatchObject({ code: 'stale_signature' });
    expect(check({ nowSeconds: 399 })).toMatchObject({ code: 'stale_signature' });
    expect(check({ secret: 'other' })).toMatchObject({ code: 'bad_signature', detail: /auth_signature/ });
    expect(check({ key: 'other' })).toMatchObject({ code: 'bad_signature', detail: /auth_key/ });
    expect(check({ path: '/apps/2/events' })).toMatchObject({ code: 'bad_signature' });
    expect(check({ rawBody: `${body} ` })).toMatchObject({ code: 'bad_signature', detail: /body_md5/ });
    expect(check({ query: { ...query, auth_version: '2.0' } })).toMatchObject({ detail: /auth_version/ });
    expect(check({ query: { ...query, auth_timestamp: 'x' } })).toMatchObject({ detail: /auth_timestamp/ });
    expect(check({ query: { ...query, extra: 'added' } })).toMatchObject({ code: 'bad_signature' });
    expect(check({ query: { ...query, auth_key: ['k', 'k'] } })).toMatchObject({ detail: /twice/ });
  });
});

describe('channel names', () => {
  it('classifies channels and finds the user of a bookings channel', () => {
    expect(channelKind('provider.p.availability')).toBe('public');
    expect(channelKind('private-user.u.bookings')).toBe('private');
    expect(channelKind('presence-x')).toBe('unsupported');
    expect(channelKind('private-encrypted-x')).toBe('unsupported');
    expect(userOfChannel('private-user.u-1.bookings')).toBe('u-1');
    expect(userOfChannel('private-user.u-1.other')).toBeNull();
    expect(userOfChannel('user.u-1.bookings')).toBeNull();
  });
});

describe('APPT_PUSHER_URL', () => {
  it('parses key, secret, host, port and app id', () => {
    expect(parsePusherUrl('http://KEY:SEC%2Fret@hub.example:6001/apps/42')).toEqual({
      origin: 'http://hub.example:6001',
      host: 'hub.example',
      port: 6001,
      tls: false,
      key: 'KEY',
      secret: 'SEC/ret',
      appId: '42',
      prefix: '',
    });
    expect(parsePusherUrl('https://k:s@api.pusherapp.com/apps/7')).toMatchObject({ port: 443, tls: true });
    expect(() => parsePusherUrl('http://hub.example/apps/1')).toThrow(/KEY:SECRET/);
    expect(() => parsePusherUrl('http://k:s@hub.example/app/1')).toThrow(/apps\/APP_ID/);
  });

  it('a malformed URL stops the app from starting with a clear message', async () => {
    await expect(makeHarness({ config: { pusherUrl: 'http://hub.example:6001/apps/1' } })).rejects.toThrow(
      /APPT_PUSHER_URL must look like/,
    );
  });
});

describe('httpPublisher', () => {
  it('sends in order, one at a time, signed; drops the oldest beyond the bound', async () => {
    const seen: { url: string; body: string }[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const fakeFetch = (async (url: string, init: { body: string }) => {
      seen.push({ url, body: init.body });
      if (seen.length === 1) await gate;
      return new Response('{}', { status: seen.length === 2 ? 500 : 200 });
    }) as unknown as typeof fetch;
    const pub = httpPublisher({
      target: parsePusherUrl('http://k:s@hub.test:6001/apps/9'),
      fetch: fakeFetch,
      maxQueue: 2,
      nowSeconds: () => 1000,
    });
    pub.publish('c', 'e1', { n: 1 });
    pub.publish('c', 'e2', { n: 2 });
    pub.publish('c', 'e3', { n: 3 });
    pub.publish('c', 'e4', { n: 4 }); // e2 is dropped: only two may wait
    expect(pub.stats()).toMatchObject({ queued: 2, dropped: 1 });
    release();
    await pub.flush();
    expect(seen.map((s) => JSON.parse(s.body).name)).toEqual(['e1', 'e3', 'e4']);
    expect(pub.stats()).toMatchObject({ sent: 2, failed: 1, queued: 0 });
    const u = new URL(seen[0].url);
    expect(u.pathname).toBe('/apps/9/events');
    const failure = verifyApiRequest({
      key: 'k',
      secret: 's',
      method: 'POST',
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      rawBody: seen[0].body,
      nowSeconds: 1000,
    });
    expect(failure).toBeNull();
    expect(JSON.parse(seen[0].body)).toEqual({ name: 'e1', channels: ['c'], data: '{"n":1}' });
    await pub.close();
    pub.publish('c', 'late', {});
    expect(pub.stats().queued).toBe(0);
  });
});

describe('Hub and slow clients', () => {
  it('drops a client whose send buffer is over the bound (4100) instead of queueing for it', async () => {
    const hub = new Hub({ key: 'k', secret: 's', maxBufferedBytes: 1000 });
    const fake = (buffered: number) => {
      const ee = new EventEmitter() as EventEmitter & Record<string, unknown>;
      const sent: string[] = [];
      const closed: number[] = [];
      Object.assign(ee, {
        readyState: 1,
        bufferedAmount: buffered,
        send: (d: Buffer | string) => sent.push(d.toString()),
        close: (code: number) => {
          closed.push(code);
          ee.readyState = 3;
        },
        terminate: () => {},
      });
      return { ws: ee as unknown as WebSocket, ee, sent, closed };
    };
    const fast = fake(0);
    const slow = fake(5000);
    for (const c of [fast, slow]) {
      hub.accept(c.ws, 'k', { protocol: '7' });
      c.ee.emit(
        'message',
        Buffer.from(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'x' } })),
        false,
      );
    }
    expect(hub.stats()).toMatchObject({ connections: 2, subscriptions: 2 });
    expect(hub.publish('x', 'e', {})).toBe(1);
    expect(fast.sent.at(-1)).toBe('{"event":"e","channel":"x","data":"{}"}');
    expect(slow.closed).toEqual([4100]);
    expect(hub.stats()).toMatchObject({ connections: 1, subscriptions: 1, dropped: 1 });
    await hub.close(10);
  });
});
