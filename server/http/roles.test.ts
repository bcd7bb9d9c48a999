import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';

/**
 * Role × endpoint matrix. Each row is a request and the status every caller gets:
 * admin, staff, support, the owner (alice), another user (bob), and no token.
 * A user never learns that someone else's appointment exists (404, not 403).
 */
let h: Harness;
let apptId: string;
let slotId: string;
beforeAll(async () => {
  h = await makeHarness();
  const slots = (await slotsOf(h, '2030-01-20')).timeslots;
  apptId = (await bookVia(h, slots[0].id, { token: h.tokens.alice })).id;
  slotId = slots[5].id;
});
afterAll(async () => {
  await h.close();
});

type Who = 'admin' | 'staff' | 'support' | 'alice' | 'bob' | 'none';
const WHO: Who[] = ['admin', 'staff', 'support', 'alice', 'bob', 'none'];

interface Row {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: () => string;
  body?: () => Record<string, unknown>;
  expect: Record<Who, number>;
}

const rows: Row[] = [
  {
    name: 'GET /me',
    method: 'GET',
    url: () => '/me',
    expect: { admin: 200, staff: 200, support: 200, alice: 200, bob: 200, none: 401 },
  },
  {
    name: 'GET own list',
    method: 'GET',
    url: () => `/users/${h.ids.alice}/appointments?filter=upcoming`,
    expect: { admin: 200, staff: 200, support: 200, alice: 200, bob: 404, none: 401 },
  },
  {
    name: 'GET day view',
    method: 'GET',
    url: () => `/appointments?providerId=${h.ids.provider}&date=2030-01-20`,
    expect: { admin: 200, staff: 200, support: 200, alice: 403, bob: 403, none: 401 },
  },
  {
    name: 'GET appointment',
    method: 'GET',
    url: () => `/appointments/${apptId}`,
    expect: { admin: 200, staff: 200, support: 200, alice: 200, bob: 404, none: 401 },
  },
  {
    name: 'GET audit',
    method: 'GET',
    url: () => `/appointments/${apptId}/audit`,
    expect: { admin: 200, staff: 200, support: 200, alice: 200, bob: 404, none: 401 },
  },
  {
    name: 'GET quote',
    method: 'GET',
    url: () => `/appointments/${apptId}/cancellation-quote`,
    expect: { admin: 200, staff: 200, support: 403, alice: 200, bob: 404, none: 401 },
  },
  {
    name: 'GET alternatives',
    method: 'GET',
    url: () => `/appointments/${apptId}/alternatives?kind=tomorrow`,
    expect: { admin: 200, staff: 200, support: 403, alice: 200, bob: 404, none: 401 },
  },
  {
    name: 'GET ics',
    method: 'GET',
    url: () => `/appointments/${apptId}/ics`,
    expect: { admin: 200, staff: 200, support: 403, alice: 200, bob: 404, none: 401 },
  },
  {
    name: 'GET availability',
    method: 'GET',
    url: () => `/providers/${h.ids.provider}/availability?serviceId=${h.ids.service}&date=2030-01-20`,
    expect: { admin: 200, staff: 200, support: 200, alice: 200, bob: 200, none: 401 },
  },
  {
    name: 'GET providers',
    method: 'GET',
    url: () => '/providers',
    expect: { admin: 200, staff: 200, support: 200, alice: 200, bob: 200, none: 401 },
  },
  {
    name: 'POST reschedule hold for the appointment',
    method: 'POST',
    url: () => '/reservations',
    body: () => ({
      providerId: h.ids.provider,
      serviceId: h.ids.service,
      timeslotId: slotId,
      appointmentId: apptId,
    }),
    // each allowed caller's hold releases the previous caller's? no: different actors, so the
    // first one wins and later ones see the slot taken (409) — the point here is who may try
    expect: { admin: 201, staff: 409, support: 403, alice: 409, bob: 404, none: 401 },
  },
  {
    name: 'POST complete',
    method: 'POST',
    url: () => `/appointments/${apptId}/complete`,
    body: () => ({}),
    expect: { admin: 422, staff: 422, support: 403, alice: 403, bob: 403, none: 401 },
  },
  {
    name: 'POST cancel (bob: 404)',
    method: 'POST',
    url: () => `/appointments/${apptId}/cancel`,
    body: () => ({ idempotencyKey: 'matrix-cancel', reason: 'x' }),
    expect: { admin: 200, staff: 409, support: 403, alice: 409, bob: 404, none: 401 },
  },
  {
    name: 'GET /admin/tokens',
    method: 'GET',
    url: () => '/admin/tokens',
    expect: { admin: 200, staff: 403, support: 403, alice: 403, bob: 403, none: 401 },
  },
  {
    name: 'POST /admin/users',
    method: 'POST',
    url: () => '/admin/users',
    body: () => ({ name: 'Carol', email: 'carol@example.com' }),
    expect: { admin: 201, staff: 403, support: 403, alice: 403, bob: 403, none: 401 },
  },
  {
    name: 'PATCH /admin/providers/{id}',
    method: 'PATCH',
    url: () => `/admin/providers/${h.ids.provider}`,
    body: () => ({ caldavUrl: 'http://127.0.0.1:5232/doc/cal/' }),
    expect: { admin: 200, staff: 403, support: 403, alice: 403, bob: 403, none: 401 },
  },
  {
    name: 'GET /admin/audit',
    method: 'GET',
    url: () => '/admin/audit',
    expect: { admin: 200, staff: 403, support: 200, alice: 403, bob: 403, none: 401 },
  },
  {
    name: 'GET /admin/audit/verify',
    method: 'GET',
    url: () => '/admin/audit/verify',
    expect: { admin: 200, staff: 403, support: 200, alice: 403, bob: 403, none: 401 },
  },
  {
    name: 'GET /admin/check',
    method: 'GET',
    url: () => '/admin/check',
    expect: { admin: 200, staff: 403, support: 403, alice: 403, bob: 403, none: 401 },
  },
];

describe('role × endpoint matrix', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const got: Partial<Record<Who, number>> = {};
      for (const who of WHO) {
        const headers = who === 'none' ? {} : auth(h.tokens[who]);
        const r = await h.app.inject({
          method: row.method,
          url: row.url(),
          headers,
          ...(row.body ? { payload: row.body() } : {}),
        });
        got[who] = r.statusCode;
        if (r.statusCode >= 400) expect(r.headers['content-type']).toContain('application/problem+json');
      }
      expect(got).toEqual(row.expect);
    });
  }

  it('another user cannot cancel, and learns nothing: 404 even with a valid key', async () => {
    const slots = (await slotsOf(h, '2030-01-21')).timeslots;
    const a = await bookVia(h, slots[0].id, { token: h.tokens.alice });
    const r = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/cancel`,
      headers: auth(h.tokens.bob, { 'idempotency-key': 'steal' }),
      payload: {},
    });
    expect(r.statusCode).toBe(404);
    expect(r.json().code).toBe('not_found');
    const still = await h.app.inject({
      method: 'GET',
      url: `/appointments/${a.id}`,
      headers: auth(h.tokens.alice),
    });
    expect(still.json().status).toBe('confirmed');
  });

  it('a user cannot book for someone else; a user hold is for themselves', async () => {
    const slots = (await slotsOf(h, '2030-01-22')).timeslots;
    const hold = await h.app.inject({
      method: 'POST',
      url: '/reservations',
      headers: auth(h.tokens.bob),
      payload: {
        providerId: h.ids.provider,
        serviceId: h.ids.service,
        timeslotId: slots[0].id,
        userId: h.ids.alice,
      },
    });
    expect(hold.statusCode).toBe(403);
    const own = await h.app.inject({
      method: 'POST',
      url: '/reservations',
      headers: auth(h.tokens.bob),
      payload: { providerId: h.ids.provider, serviceId: h.ids.service, timeslotId: slots[0].id },
    });
    const b = await h.app.inject({
      method: 'POST',
      url: '/bookings',
      headers: auth(h.tokens.bob, { 'idempotency-key': 'for-alice' }),
      payload: { reservationToken: own.json().reservationToken, userId: h.ids.alice },
    });
    expect(b.statusCode).toBe(403);
  });

  it('revoked and expired tokens are 401; rotation revokes the old token', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/admin/tokens',
      headers: auth(h.tokens.admin),
      payload: { name: 'temp', role: 'staff', expiresAt: '2030-01-07T13:00:00Z' },
    });
    expect(created.statusCode).toBe(201);
    const { id, token } = created.json();
    expect((await h.app.inject({ method: 'GET', url: '/me', headers: auth(token) })).json()).toMatchObject({
      role: 'staff',
      name: 'temp',
    });
    const rotated = await h.app.inject({
      method: 'POST',
      url: `/admin/tokens/${id}/rotate`,
      headers: auth(h.tokens.admin),
    });
    expect(rotated.statusCode).toBe(201);
    expect((await h.app.inject({ method: 'GET', url: '/me', headers: auth(token) })).statusCode).toBe(401);
    const fresh = rotated.json().token;
    expect((await h.app.inject({ method: 'GET', url: '/me', headers: auth(fresh) })).statusCode).toBe(200);
    h.clock.set('2030-01-07T13:00:00Z');
    const exp = await h.app.inject({ method: 'GET', url: '/me', headers: auth(fresh) });
    expect(exp.statusCode).toBe(401);
    expect(exp.json().code).toBe('unauthorized');
    const rev = await h.app.inject({
      method: 'DELETE',
      url: `/admin/tokens/${rotated.json().id}`,
      headers: auth(h.tokens.admin),
    });
    expect(rev.statusCode).toBe(204);
  });

  it('PATCH /admin/providers/{id} changes the CalDAV URL, refuses a bad one and unknown fields', async () => {
    const ok = await h.app.inject({
      method: 'PATCH',
      url: `/admin/providers/${h.ids.provider}`,
      headers: auth(h.tokens.admin),
      payload: { caldavUrl: null, email: 'new@example.com' },
    });
    expect(ok.json()).toMatchObject({
      caldavUrl: null,
      email: 'new@example.com',
      timezone: 'America/New_York',
    });
    for (const payload of [{ caldavUrl: 'ftp://x' }, { timezone: 'Europe/Paris' }, {}]) {
      const bad = await h.app.inject({
        method: 'PATCH',
        url: `/admin/providers/${h.ids.provider}`,
        headers: auth(h.tokens.admin),
        payload,
      });
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400);
    }
  });
});
