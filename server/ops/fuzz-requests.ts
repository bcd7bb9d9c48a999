import fc from 'fast-check';

/**
 * Request generators for the HTTP fuzz test (server/http/fuzz.test.ts): wrong types, huge
 * strings, unicode, negative and enormous numbers, bad dates and zones, unknown fields,
 * bad JSON, missing and repeated headers, plus near-miss bodies for the routes that
 * change things so a fair share of requests reaches the domain. Values that name real
 * things (ids, timeslots, holds) come from `pools`, which the test grows as it goes.
 */
export interface FuzzPools {
  ids: string[];
  timeslots: string[];
  holds: string[];
  appointments: string[];
}
export interface FuzzTarget {
  tokens: { admin: string; staff: string; support: string; alice: string; bob: string };
  ids: { provider: string; service: string; service60: string; alice: string; bob: string };
  pools: FuzzPools;
}

/** Percent-encodes like a client would; lone surrogates go out as their UTF-8 replacement. */
export function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  }
}
/** Raw path segments a client could send that are not valid percent-encoding. */
const RAW = ['%', '%zz', '%ED%A0%80', '%C0%AF', '..', '%2e%2e', '%00'];
/** Fills a path template's {params}; with raw >= 0 the first one is a raw bad segment. */
export function pathFor(template: string, params: string[], raw: number): string {
  let i = 0;
  return template.replace(/\{[^}]+\}/g, () => {
    const first = i === 0;
    const p = params[i++ % params.length] ?? '';
    return raw >= 0 && first ? RAW[raw % RAW.length] : enc(p);
  });
}

export const huge = (n: number) => 'x'.repeat(n);

/** The arbitrary of one generated request against `t` (tokens, ids and pools read lazily). */
export function fuzzRequest(t: FuzzTarget) {
  const h = { tokens: t.tokens, ids: t.ids };
  const pools = t.pools;
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

  const objectBody = fc
    .array(fc.tuple(fc.constantFrom(...FIELDS), value), { maxLength: 8 })
    .map((entries) => {
      const o: Record<string, unknown> = {};
      for (const [k, v] of entries)
        Object.defineProperty(o, k, { value: v, enumerable: true, writable: true });
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
        .map((k) => `Bearer ${h.tokens[k as keyof FuzzTarget['tokens']]}`),
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

  return fc.record({
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
}
