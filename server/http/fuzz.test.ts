import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../invariants/check.js';
import { write } from '../outbox/write.js';
import { sweepExpired } from '../reservations/reservations.js';
import { enc, fuzzRequest, huge, pathFor } from '../ops/fuzz-requests.js';
import { signatureHeader } from '../webhooks/signature.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';

/**
 * Property: whatever arrives — wrong types, huge strings, unicode, negative and enormous
 * numbers, bad dates and zones, unknown fields, bad JSON, missing and repeated headers —
 * every endpoint answers a 4xx application/problem+json or a valid 2xx, never a 5xx, and
 * the database's invariants hold afterwards. Fixed seed, so a failure reproduces.
 */
const SEED = 20301107;
const RUNS = Number(process.env.APPT_FUZZ_RUNS ?? 6000);

let h: Harness;
let routes: { method: string; path: string }[];
const pools = {
  ids: [] as string[],
  timeslots: [] as string[],
  holds: [] as string[],
  appointments: [] as string[],
};
const responses = { total: 0, byStatus: new Map<number, number>() };

beforeAll(async () => {
  // limits off: the property is about input handling, not about the brakes
  h = await makeHarness({ config: { rateLimitAuthFailures: 0 } });
  const spec = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, unknown>>;
  };
  routes = Object.entries(spec.paths).flatMap(([p, ops]) =>
    Object.keys(ops)
      .filter((m) => ['get', 'post', 'put', 'delete', 'patch'].includes(m))
      .map((m) => ({ method: m.toUpperCase(), path: p })),
  );
  // routes the OpenAPI document leaves out (the WebSocket endpoint, the document itself)
  for (const extra of ['/app/{key}', '/openapi.json'])
    if (!routes.some((r) => r.path === extra)) routes.push({ method: 'GET', path: extra });
  const slots = (await slotsOf(h, '2030-01-08')).timeslots;
  const a1 = await bookVia(h, slots[0].id);
  const a2 = await bookVia(h, slots[2].id, { token: h.tokens.alice });
  const a3 = await bookVia(h, slots[4].id, { userId: h.ids.bob });
  pools.appointments.push(a1.id, a2.id, a3.id);
  const hold = await h.app.inject({
    method: 'POST',
    url: '/reservations',
    headers: auth(h.tokens.staff),
    payload: { providerId: h.ids.provider, serviceId: h.ids.service, timeslotId: slots[8].id },
  });
  pools.holds.push(hold.json().reservationToken);
  pools.timeslots.push(...slots.map((s) => s.id));
  pools.timeslots.push(...(await slotsOf(h, '2030-01-09')).timeslots.map((s) => s.id));
  pools.timeslots.push(...(await slotsOf(h, '2030-01-09', h.ids.service60)).timeslots.map((s) => s.id));
  pools.ids.push(...Object.values(h.ids), ...pools.appointments);
});
afterAll(async () => {
  await h?.close();
});

function checkResponse(
  r: { statusCode: number; headers: Record<string, unknown>; body: string },
  what: string,
) {
  responses.total++;
  responses.byStatus.set(r.statusCode, (responses.byStatus.get(r.statusCode) ?? 0) + 1);
  if (r.statusCode >= 500) throw new Error(`${what} → ${r.statusCode}: ${r.body.slice(0, 500)}`);
  if (r.statusCode >= 400) {
    const ct = String(r.headers['content-type'] ?? '');
    if (!ct.startsWith('application/problem+json')) throw new Error(`${what} → ${r.statusCode} with ${ct}`);
    const p = JSON.parse(r.body);
    for (const k of ['type', 'title', 'detail', 'code'])
      if (typeof p[k] !== 'string')
        throw new Error(`${what} → problem without ${k}: ${r.body.slice(0, 300)}`);
    if (p.status !== r.statusCode) throw new Error(`${what} → problem status ${p.status} ≠ ${r.statusCode}`);
    return;
  }
  if (r.statusCode >= 300) throw new Error(`${what} → unexpected ${r.statusCode}`);
  if (r.statusCode === 204 || r.body === '') return;
  const ct = String(r.headers['content-type'] ?? '');
  if (ct.startsWith('application/json')) JSON.parse(r.body);
  else if (!/^(text\/plain|text\/calendar|text\/html|application\/javascript|text\/css)/.test(ct))
    throw new Error(`${what} → 2xx with content-type ${ct}`);
}

describe('fuzzed requests against every endpoint', () => {
  it(`answers ${RUNS} generated requests with 4xx problem+json or a valid 2xx, and the invariants hold`, async () => {
    expect(routes.length).toBeGreaterThan(25);
    await fc.assert(
      fc.asyncProperty(fuzzRequest({ tokens: h.tokens, ids: h.ids, pools }), async (g) => {
        if (g.tick) h.clock.advance(g.tick);
        const st = g.structured;
        const route = st
          ? { method: st.key.split(' ')[0], path: st.key.split(' ')[1] }
          : routes[g.route % routes.length];
        const method = st ? route.method : (g.methodSwap ?? route.method);
        const qs = g.query.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
        const params = st ? [pools.appointments[g.route % pools.appointments.length], ...g.params] : g.params;
        const url = pathFor(route.path, params, st ? -1 : g.raw) + (qs && !st ? `?${qs}` : '');
        const headers: Record<string, string | string[]> = {};
        if (g.authorization !== undefined) headers.authorization = g.authorization;
        // half the near-miss bodies come from the front desk, so more of them reach the domain
        if (st && g.route % 2 === 0)
          headers.authorization = `Bearer ${route.path.startsWith('/admin') ? h.tokens.admin : h.tokens.staff}`;
        if (g.idem !== undefined) headers['idempotency-key'] = g.idem;
        if (g.ifMatch !== undefined && !st) headers['if-match'] = g.ifMatch;
        for (const [k, v] of Object.entries(g.extraHeaders)) headers[k] = v;
        const payload = st ? JSON.stringify(st.body) : g.body.payload;
        // signed routes: half the time a valid signature over the fuzzed body, so it gets parsed
        if (route.path.startsWith('/webhooks/') && g.route % 2 === 1)
          headers['appt-signature'] = signatureHeader(h.ctx.config.webhookSecret, payload, h.clock.now());
        const withBody =
          method !== 'GET' && method !== 'HEAD' && (st !== undefined || g.body.kind !== 'none');
        if (withBody) {
          const ct = st ? 'application/json' : g.contentType;
          if (ct) headers['content-type'] = ct;
        }
        const r = await h.app.inject({
          method: method as 'GET',
          url,
          headers,
          ...(withBody ? { payload } : {}),
        });
        // what the server hands out feeds later requests, so the run goes deeper than one step
        if (r.statusCode < 300 && r.body.startsWith('{')) {
          const j = JSON.parse(r.body) as { reservationToken?: string; id?: string };
          if (j.reservationToken) pools.holds.push(j.reservationToken);
          if (route.path === '/bookings' && j.id) pools.appointments.push(j.id);
          else if (j.id && method === 'POST') pools.ids.push(j.id);
        }
        if (method === 'HEAD') {
          responses.total++;
          if (r.statusCode >= 500) throw new Error(`HEAD ${url} → ${r.statusCode}`);
          return;
        }
        checkResponse(r, `${method} ${url.slice(0, 200)}`);
      }),
      {
        seed: SEED,
        numRuns: RUNS,
        endOnFailure: true,
        // counterexamples carry 70 kB strings: report the failure, not the whole value
        asyncReporter: async (d) => {
          if (d.failed)
            throw new Error(
              `fuzz failed after ${d.numRuns} runs: ${String(d.errorInstance ?? '').slice(0, 1500)}`,
            );
        },
      },
    );
    console.info(
      `fuzz: ${routes.length} routes, ${responses.total} requests, by status ${JSON.stringify(Object.fromEntries(responses.byStatus))}`,
    );
    // the sweeper is a job (not running in the harness): let it catch up as it would
    await write(h.ctx, async (w) => await sweepExpired(w.db, w, 100_000));
    const problems = await checkInvariants(h.ctx.db, h.clock.now(), { holdGraceMs: 5_000 });
    expect(problems).toEqual({ ok: true, problems: [] });
    expect(responses.total).toBeGreaterThanOrEqual(RUNS);
    // the generator must reach past validation often enough to mean something
    const ok = [...responses.byStatus].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
    expect(ok).toBeGreaterThan(RUNS * 0.05);
    const deep = [...responses.byStatus.keys()];
    for (const s of [201, 409, 422]) expect(deep).toContain(s);
  }, 240_000);

  it('a huge body is a 413 problem, bad JSON a 400 problem, a repeated Idempotency-Key is one key', async () => {
    const big = await h.app.inject({
      method: 'POST',
      url: '/reservations',
      headers: { ...auth(h.tokens.staff), 'content-type': 'application/json' },
      payload: JSON.stringify({ reason: huge(2_000_000) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().code).toBe('payload_too_large');
    const bad = await h.app.inject({
      method: 'POST',
      url: '/reservations',
      headers: { ...auth(h.tokens.staff), 'content-type': 'application/json' },
      payload: '{"providerId": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const twice = await h.app.inject({
      method: 'POST',
      url: `/appointments/${pools.appointments[0]}/cancel`,
      headers: { ...auth(h.tokens.staff), 'idempotency-key': ['a', 'b'] as unknown as string },
      payload: {},
    });
    // pagination is capped: more than 100 a page is refused, not served
    const page = await h.app.inject({
      method: 'GET',
      url: '/appointments?limit=101',
      headers: auth(h.tokens.staff),
    });
    expect(page.statusCode).toBe(400);
    expect(page.json().code).toBe('validation');
    const max = await h.app.inject({
      method: 'GET',
      url: '/appointments?limit=100',
      headers: auth(h.tokens.staff),
    });
    expect(max.statusCode).toBe(200);
    // Node joins repeated headers into one value ("a, b"): one key, handled like any other
    expect(twice.statusCode).toBeLessThan(500);
    const again = await h.app.inject({
      method: 'POST',
      url: `/appointments/${pools.appointments[0]}/cancel`,
      headers: { ...auth(h.tokens.staff), 'idempotency-key': ['a', 'b'] as unknown as string },
      payload: {},
    });
    expect(again.body).toBe(twice.body);
  });
});
