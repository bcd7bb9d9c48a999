import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isOfflineCause } from './api-errors.js';
import { ApiClient, OfflineError } from './client.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('one-shot commands on node:http', () => {
  it('sends headers and a JSON body, parses the answer, reuses one connection for a second request', async () => {
    const sockets = new Set<unknown>();
    const seen: { method?: string; url?: string; auth?: string; key?: string; body: string }[] = [];
    const url = await serve((req, res) => {
      sockets.add(req.socket);
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          auth: req.headers.authorization,
          key: req.headers['idempotency-key'] as string,
          body,
        });
        res.writeHead(200, { 'content-type': 'application/json', etag: '"3"' });
        res.end(JSON.stringify({ ok: true, n: seen.length }));
      });
    });
    const c = new ApiClient({ baseUrl: url, token: 't0k', oneShot: true });
    const a = await c.request<{ n: number }>('POST', '/x', { body: { a: 'ä' }, idempotencyKey: 'k1' });
    const b = await c.request<{ n: number }>('GET', '/y', { query: { q: 'a b' } });
    await c.close();
    expect([a.data.n, a.version, b.data.n]).toEqual([1, 3, 2]);
    expect(seen).toEqual([
      { method: 'POST', url: '/x', auth: 'Bearer t0k', key: 'k1', body: '{"a":"ä"}' },
      { method: 'GET', url: '/y?q=a%20b', auth: 'Bearer t0k', key: undefined, body: '' },
    ]);
    expect(sockets.size).toBe(1);
  });

  it('no answer within the timeout, or nobody listening: offline, not a crash', async () => {
    const url = await serve(() => {
      // never answers
    });
    const slow = new ApiClient({ baseUrl: url, oneShot: true, timeoutMs: 200 });
    const e = await slow.request('GET', '/x').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OfflineError);
    await slow.close();
    const gone = new ApiClient({ baseUrl: 'http://127.0.0.1:9', oneShot: true });
    const e2 = await gone.request('GET', '/x').catch((x: unknown) => x);
    expect(e2).toBeInstanceOf(OfflineError);
    expect(isOfflineCause((e2 as OfflineError).cause)).toBe(true);
  });
});
