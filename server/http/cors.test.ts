import { afterEach, describe, expect, it } from 'vitest';
import { auth, type Harness, makeHarness } from '../testing/harness.js';

/** Issue 12, item 13: CORS for browser integrations, off unless APPT_CORS_ORIGINS lists origins. */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const DESK = 'https://desk.example.com';
const preflight = (origin: string) => ({
  method: 'OPTIONS' as const,
  url: '/appointments/some-id/cancel',
  headers: {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization,content-type,idempotency-key,if-match',
  },
});

describe('12.13 CORS', () => {
  it('is off by default: no CORS headers, a preflight is not answered as one', async () => {
    h = await makeHarness();
    const r = await h.app.inject({
      method: 'GET',
      url: '/me',
      headers: auth(h.tokens.staff, { origin: DESK }),
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    const p = await h.app.inject(preflight(DESK));
    expect(p.headers['access-control-allow-origin']).toBeUndefined();
    expect(p.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('APPT_CORS_ORIGINS turns it on: preflight answered without a token, responses readable by the listed origin only', async () => {
    h = await makeHarness({ config: { corsOrigins: [DESK, 'http://localhost:5173'] } });
    const p = await h.app.inject(preflight(DESK));
    expect(p.statusCode).toBe(204);
    expect(p.headers['access-control-allow-origin']).toBe(DESK);
    expect(String(p.headers['access-control-allow-methods'])).toMatch(/POST/);
    expect(String(p.headers['access-control-allow-methods'])).toMatch(/DELETE/);
    expect(String(p.headers['access-control-allow-headers'])).toMatch(/idempotency-key/);
    expect(String(p.headers['access-control-allow-headers'])).toMatch(/authorization/);
    expect(p.headers['access-control-max-age']).toBe('600');

    const r = await h.app.inject({
      method: 'GET',
      url: '/me',
      headers: auth(h.tokens.staff, { origin: DESK }),
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(DESK);
    expect(String(r.headers['access-control-expose-headers'])).toMatch(/etag/);
    expect(String(r.headers['access-control-expose-headers'])).toMatch(/idempotent-replayed/);
    expect(String(r.headers.vary)).toMatch(/origin/i);
    // an error answer is readable too (a browser script sees the problem, not a CORS failure)
    const bad = await h.app.inject({ method: 'GET', url: '/me', headers: { origin: DESK } });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['access-control-allow-origin']).toBe(DESK);

    const other = await h.app.inject({
      method: 'GET',
      url: '/me',
      headers: auth(h.tokens.staff, { origin: 'https://evil.example.net' }),
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const otherPre = await h.app.inject(preflight('https://evil.example.net'));
    expect(otherPre.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('`*` allows any origin', async () => {
    h = await makeHarness({ config: { corsOrigins: ['*'] } });
    const p = await h.app.inject(preflight('https://anywhere.example.org'));
    expect(p.statusCode).toBe(204);
    expect(p.headers['access-control-allow-origin']).toBe('*');
  });
});
