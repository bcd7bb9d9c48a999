import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../invariants/check.js';
import { write } from '../outbox/write.js';
import { sweepExpired } from '../reservations/reservations.js';
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

const huge = (n: number) => 'x'.repeat(n);
const anyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '%00',
    '../../etc/passwd',
    "'; DROP TABLE users;--",
    '🙂🙃',
    'ﷺ',
    '\ud800',
  ),
  fc.constantFrom(huge(300), huge(5_000), huge(70_000)),
);
const badDate = fc.constantFrom(
  '2030-02-30',
  '2030-13-01',
  '2030-01-08T25:00:00Z',
  '0000-00-00',
  '99999-01-01',
  '-001000-01-01T00:00:00Z',
  'today',
  'tomorrow',
  'yesterday',
  '2030-01-08',
  '2030-01-08T15:00:00Z',
  '2030-01-08T15:00:00+14:00',
  '1970-01-01T00:00:00Z',
  '275760-09-13T00:00:00Z',
);
const zone = fc.constantFrom(
  'America/New_York',
  'Pacific/Auckland',
  'UTC',
  'Mars/Olympus',
  '',
  'EST',
  '+05:00',
);
const num = fc.oneof(
  fc.integer(),
  fc.integer({ min: -10, max: 200 }),
  fc.double(),
  fc.constantFrom(0, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, -(2 ** 63), 0.5),
);
const known = fc.oneof(
  fc.constant(null).map(() => pools.ids[0]),
  fc.integer({ min: 0, max: 100 }).map((i) => pools.ids[i % pools.ids.length]),
  fc.integer({ min: 0, max: 100 }).map((i) => pools.timeslots[i % pools.timeslots.length]),
  fc.integer({ min: 0, max: 100 }).map((i) => pools.appointments[i % pools.appointments.length]),
  fc.constant(null).map(() => pools.holds[0]),
);
const scalar = fc.oneof(anyString, badDate, zone, num, fc.boolean(), fc.constant(null), known);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), scalar, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Field names the API really uses, so generated bodies get past the first checks often. */
const FIELDS = [
  'providerId',
  'serviceId',
  'timeslotId',
  'userId',
  'appointmentId',
  'reservationToken',
  'idempotencyKey',
  'reason',
  'waiveFee',
  'needsAttention',
  'name',
  'timezone',
  'email',
  'phone',
  'title',
  'durationMinutes',
  'priceCents',
  'currency',
  'bufferBeforeMinutes',
  'bufferAfterMinutes',
  'slotStepMinutes',
  'minNoticeMinutes',
  'maxAdvanceDays',
  'requiresApproval',
  'cancellation',
  'freeUntilHoursBefore',
  'feeCents',
  'weekday',
  'start',
  'end',
  'role',
  'expiresAt',
  'messageId',
  'status',
  'error',
  'at',
  'busy',
  'removed',
  'externalId',
  'socket_id',
  'channel_name',
  '__proto__',
  'constructor',
  'unknownField',
];
const QUERY = [
  'filter',
  'limit',
  'cursor',
  'providerId',
  'userId',
  'date',
  'tz',
  'days',
  'status',
  'q',
  'kind',
  'serviceId',
  'since',
  'until',
  'actorId',
  'action',
  'appointmentId',
  'junk',
];

const objectBody = fc.array(fc.tuple(fc.constantFrom(...FIELDS), value), { maxLength: 8 }).map((entries) => {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true });
  return o;
});
const hoursBody = fc.array(
  fc.record(
    {
      weekday: fc.oneof(fc.integer({ min: -2, max: 9 }), scalar),
      start: fc.oneof(scalar, fc.constant('09:00')),
      end: fc.oneof(scalar, fc.constant('17:00')),
    },
    { requiredKeys: [] },
  ),
  { maxLength: 4 },
);
const pick = (pool: () => string[]) =>
  fc.nat(1000).map((i) => {
    const p = pool();
    return p.length ? p[i % p.length] : 'none';
  });
/** Mostly valid bodies for the routes that change things, so requests get past validation. */
const TEMPLATES: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  'POST /reservations': fc.record(
    {
      providerId: fc.constant(null).map(() => h.ids.provider),
      serviceId: fc.constantFrom('service', 'service60').map((k) => h.ids[k as 'service']),
      timeslotId: pick(() => pools.timeslots),
      userId: fc.constantFrom('alice', 'bob').map((k) => h.ids[k as 'alice']),
      appointmentId: pick(() => pools.appointments),
    },
    { requiredKeys: ['providerId', 'serviceId', 'timeslotId'] },
  ),
  'POST /bookings': fc.record({
    reservationToken: pick(() => pools.holds),
    userId: fc.constantFrom('alice', 'bob').map((k) => h.ids[k as 'alice']),
  }),
  'POST /appointments/{id}/reschedule': fc.record(
    { reservationToken: pick(() => pools.holds), reason: anyString },
    { requiredKeys: ['reservationToken'] },
  ),
  'POST /appointments/{id}/cancel': fc.record(
    { reason: anyString, waiveFee: fc.boolean() },
    { requiredKeys: [] },
  ),
  'POST /admin/providers': fc.record(
    { name: anyString, timezone: zone },
    { requiredKeys: ['name', 'timezone'] },
  ),
  'POST /admin/users': fc.record(
    { name: anyString, email: fc.constantFrom('a@b.c', 'bad', ''), phone: anyString },
    { requiredKeys: ['name', 'email'] },
  ),
  'POST /admin/tokens': fc.record(
    {
      name: anyString,
      role: fc.constantFrom('admin', 'staff', 'support', 'user', 'root'),
      userId: pick(() => pools.ids),
      expiresAt: badDate,
    },
    { requiredKeys: ['name', 'role'] },
  ),
  'POST /admin/providers/{id}/time-off': fc.record(
    { start: badDate, end: badDate, reason: anyString },
    { requiredKeys: ['start', 'end'] },
  ),
  'POST /admin/services': fc.record(
    {
      providerId: fc.constant(null).map(() => h.ids.provider),
      title: anyString,
      durationMinutes: fc.oneof(fc.constantFrom(15, 30, 45, 60), num),
      priceCents: fc.oneof(fc.nat(100_000), num),
      currency: fc.constantFrom('USD', 'EUR', 'usd', ''),
      slotStepMinutes: fc.oneof(fc.constantFrom(15, 30), num),
      bufferBeforeMinutes: fc.oneof(fc.nat(30), num),
      minNoticeMinutes: fc.oneof(fc.nat(600), num),
      maxAdvanceDays: fc.oneof(fc.nat(400), num),
      cancellation: fc.record({
        freeUntilHoursBefore: fc.oneof(fc.nat(48), num),
        feeCents: fc.oneof(fc.nat(5000), num),
      }),
    },
    { requiredKeys: ['providerId', 'title', 'durationMinutes', 'priceCents'] },
  ),
};
/** One field broken (replaced, removed or added) — the classic near-miss input. */
const nearMiss = (t: fc.Arbitrary<Record<string, unknown>>) =>
  fc
    .tuple(t, fc.nat(10), fc.constantFrom('keep', 'keep', 'replace', 'drop', 'add'), value)
    .map(([o, i, how, v]) => {
      const keys = Object.keys(o);
      const k = keys[i % Math.max(1, keys.length)];
      const out = { ...o };
      if (how === 'replace' && k) out[k] = v;
      else if (how === 'drop' && k) delete out[k];
      else if (how === 'add') out.unexpected = v;
      return out;
    });

const body = fc.oneof(
  { weight: 6, arbitrary: objectBody.map((o) => ({ kind: 'json' as const, payload: JSON.stringify(o) })) },
  { weight: 1, arbitrary: hoursBody.map((o) => ({ kind: 'json' as const, payload: JSON.stringify(o) })) },
  {
    weight: 1,
    arbitrary: value.map((v) => ({ kind: 'json' as const, payload: JSON.stringify(v) ?? 'null' })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{',
      '{"a":',
      '[1,2',
      'nul',
      '{"providerId": }',
      '\u0000',
      '{}}',
      '"',
      '{"__proto__":{"x":1}}',
    ),
  }.arbitrary.map((s) => ({ kind: 'json' as const, payload: s })),
  { weight: 1, arbitrary: anyString.map((s) => ({ kind: 'text' as const, payload: s })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const, payload: '' }) },
  {
    weight: 1,
    arbitrary: fc.constant({ kind: 'json' as const, payload: JSON.stringify({ reason: huge(400_000) }) }),
  },
);

const tokenHeader = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .constantFrom('admin', 'staff', 'support', 'alice', 'bob')
      .map((k) => `Bearer ${h.tokens[k as keyof Harness['tokens']]}`),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: anyString.map((s) => `Bearer ${s}`) },
  { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Basic Zm9vOmJhcg==', 'bearer  ', 'Bearer a b c') },
  {
    weight: 1,
    arbitrary: fc.constant(null).map(() => [`Bearer ${h.tokens.staff}`, `Bearer ${h.tokens.alice}`]),
  },
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/problem+json',
  'garbage',
  undefined,
);
const headerValue = fc.oneof(
  anyString.filter((s) => !/[\r\n\u0000-\u001f\u007f-\uffff]/.test(s)),
  fc.constant(undefined),
);

/** Percent-encodes like a client would; lone surrogates go out as their UTF-8 replacement. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  }
}
/** Raw path segments a client could send that are not valid percent-encoding. */
const RAW = ['%', '%zz', '%ED%A0%80', '%C0%AF', '..', '%2e%2e', '%00'];
const pathFor = (template: string, params: string[], raw: number) => {
  let i = 0;
  return template.replace(/\{[^}]+\}/g, () => {
    const first = i === 0;
    const p = params[i++ % params.length] ?? '';
    return raw >= 0 && first ? RAW[raw % RAW.length] : enc(p);
  });
};

const request = fc.record({
  route: fc.integer({ min: 0, max: 10_000 }),
  raw: fc.oneof({ weight: 15, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat(20) }),
  methodSwap: fc.oneof(
    { weight: 9, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
  ),
  params: fc.array(fc.oneof(known, anyString, num.map(String)), { minLength: 1, maxLength: 3 }),
  query: fc.array(
    fc.tuple(
      fc.constantFrom(...QUERY),
      fc.oneof(
        scalar.map((v) => String(v)),
        badDate,
        zone,
      ),
    ),
    { maxLength: 4 },
  ),
  authorization: tokenHeader,
  idem: fc.oneof(
    headerValue,
    fc.uuid(),
    fc.constant(null).map(() => ['k1', 'k2']),
    fc.constant(huge(300)),
  ),
  ifMatch: fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('"1"', '"2"', 'W/"1"', '*', '"x"', '1', '"99999999999"'),
    headerValue,
  ),
  contentType,
  body,
  structured: fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...Object.keys(TEMPLATES))
        .chain((k) => nearMiss(TEMPLATES[k]).map((b) => ({ key: k, body: b }))),
    },
  ),
  // now and then time moves on: holds lapse, appointments start
  tick: fc.oneof(
    { weight: 20, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 150_000 }) },
  ),
  extraHeaders: fc.dictionary(
    fc.constantFrom('appt-channel', 'x-request-id', 'accept', 'appt-signature', 'accept-encoding'),
    headerValue.map((v) => v ?? ''),
    { maxKeys: 2 },
  ),
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
      fc.asyncProperty(request, async (g) => {
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
    write(h.ctx, (w) => sweepExpired(h.ctx.db, w, 100_000));
    const problems = checkInvariants(h.ctx.db, h.clock.now(), { holdGraceMs: 5_000 });
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
