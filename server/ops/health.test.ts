import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { auth, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import { PG_SUITE } from '../testing/pg.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('health', () => {
  it('/healthz is up; /readyz checks the database (a real write), its integrity, migrations and jobs', async () => {
    h = await makeHarness();
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ ok: true });
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      ok: true,
      // integrity: SQLite's quick_check; PostgreSQL has none and leaves it out
      checks: { database: true, ...(PG_SUITE ? {} : { integrity: true }), migrations: true, jobs: true },
    });
    // a server configured to run jobs whose jobs are not running is not ready
    const app = await buildApp(
      { ...h.ctx, config: { ...h.ctx.config, jobs: true } },
      { jobsRunning: () => false },
    );
    try {
      const r = await app.inject({ method: 'GET', url: '/readyz' });
      expect(r.statusCode).toBe(503);
      expect(r.json().checks.jobs).toBe(false);
    } finally {
      await app.close();
    }
  });
});

describe('error shape', () => {
  it('a plugin’s empty refusal (plain GET on the WebSocket endpoint) still goes out as problem+json', async () => {
    h = await makeHarness();
    const r = await h.app.inject({ method: 'GET', url: '/app/some-key' });
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json()).toMatchObject({ status: 404, code: 'not_found', title: 'Not found' });
  });
});

describe('graceful close', () => {
  it('a request in flight when close() starts still completes (with Connection: close); then the port is shut', async () => {
    h = await makeHarness({ listen: true });
    const hh = h;
    const addr = hh.app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const slot = (await slotsOf(hh, '2030-01-08')).timeslots[0].id;
    const body = JSON.stringify({ providerId: hh.ids.provider, serviceId: hh.ids.service, timeslotId: slot });
    const res = new Promise<{ status: number; connection: string | undefined; text: string }>(
      (resolve, reject) => {
        const req = http.request({
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/reservations',
          agent: false,
          headers: {
            ...auth(hh.tokens.staff),
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        });
        req.on('response', (r) => {
          let text = '';
          r.on('data', (d) => {
            text += d;
          });
          r.on('end', () => resolve({ status: r.statusCode ?? 0, connection: r.headers.connection, text }));
        });
        req.on('error', reject);
        // half the body now; once the server has the request (headers parsed, hooks run),
        // close() begins; then the rest of the body arrives
        hh.app.server.once('request', () => {
          setTimeout(() => {
            closing = hh.app.close();
            setTimeout(() => req.end(body.slice(10)), 50);
          }, 20);
        });
        req.write(body.slice(0, 10));
      },
    );
    let closing: Promise<unknown> | undefined;
    const r = await res;
    expect(r.status).toBe(201);
    expect(r.connection).toBe('close');
    await closing;
    const refused = await new Promise<string>((resolve) => {
      const req = http.request({ port, host: '127.0.0.1', path: '/healthz', agent: false });
      req.on('response', () => resolve('answered'));
      req.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? 'error'));
      req.end();
    });
    expect(refused).toBe('ECONNREFUSED');
    // the harness closes the app again; that is a no-op
  });
});
