import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient } from './client.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

describe.each([true, false])('GET revalidates with If-None-Match (oneShot %s)', (oneShot) => {
  it('a repeated GET sends the kept ETag; a 304 gives the kept copy; a change, a new copy; another token, none', async () => {
    let version = 1;
    const seen: (string | undefined)[] = [];
    server = createServer((req, res) => {
      const inm = req.headers['if-none-match'] as string | undefined;
      seen.push(inm);
      const etag = `"v${version}"`;
      if (inm === etag) {
        res.writeHead(304, { etag });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', etag });
      res.end(JSON.stringify({ items: [{ id: 'a', version }] }));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const c = new ApiClient({ baseUrl: url, token: 'one', oneShot });
    const first = await c.request<{ items: { version: number }[] }>('GET', '/list');
    const second = await c.request<{ items: { version: number }[] }>('GET', '/list');
    expect(second.notModified).toBe(true);
    expect(second.status).toBe(200);
    expect(second.data).toEqual(first.data);
    // the kept copy is parsed afresh: changing what a caller got does not change the next one
    second.data.items[0]!.version = 99;
    version = 2;
    const third = await c.request<{ items: { version: number }[] }>('GET', '/list');
    expect(third.notModified).toBeUndefined();
    expect(third.data.items[0]!.version).toBe(2);
    c.token = 'two';
    await c.request('GET', '/list');
    await c.close();
    expect(seen).toEqual([undefined, '"v1"', '"v1"', undefined]);
  });
});
