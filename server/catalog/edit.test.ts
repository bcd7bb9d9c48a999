import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stmt } from '../db/open.js';
import { timeslotMessage } from '../realtime/feed.js';
import { auth, bookVia, type Harness, holdVia, makeHarness, slotsOf } from '../testing/harness.js';
import { freshPgDatabase, PG_TEST_URL } from '../testing/pg.js';

/** On SQLite, and on PostgreSQL when APPT_TEST_DATABASE_URL names a server (.ci/run starts one). */
const backends = ['sqlite', ...(PG_TEST_URL ? ['postgres'] : [])];

let h: Harness;
let pgDb: { url: string; drop(): Promise<void> } | undefined;

const DAY = '2030-01-08';
const admin = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  h.app.inject({ method, url, headers: auth(h.tokens.admin), ...(payload ? { payload } : {}) });

async function cancel(id: string) {
  const r = await h.app.inject({
    method: 'POST',
    url: `/appointments/${id}/cancel`,
    headers: auth(h.tokens.staff, { 'idempotency-key': `c-${id}` }),
    payload: { waiveFee: true, reason: 'test' },
  });
  expect(r.statusCode).toBe(200);
}

describe.each(backends)('on %s', (backend) => {
  beforeEach(async () => {
    pgDb = backend === 'postgres' ? await freshPgDatabase() : undefined;
    h = await makeHarness(pgDb ? { config: { databaseUrl: pgDb.url } } : {});
  }, 60_000);
  afterEach(async () => {
    await h.close();
    await pgDb?.drop();
  });

  describe('services: edit and remove', () => {
    it('PATCH changes what new bookings get; appointments keep their price', async () => {
      const a = await bookVia(h, (await slotsOf(h, DAY)).timeslots[0].id);
      const r = await admin('PATCH', `/admin/services/${h.ids.service}`, {
        title: 'Consult',
        priceCents: 6000,
      });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ title: 'Consult', priceCents: 6000, durationMinutes: 30 });
      const show = await h.app.inject({
        method: 'GET',
        url: `/appointments/${a.id}`,
        headers: auth(h.tokens.staff),
      });
      expect(show.json().priceCents).toBe(5000);
      expect((await admin('PATCH', '/admin/services/nope', { title: 'x' })).statusCode).toBe(404);
    });

    it('cancellation terms cannot change under booked customers (409 has_active_appointments)', async () => {
      const a = await bookVia(h, (await slotsOf(h, DAY)).timeslots[0].id);
      const terms = { cancellation: { freeUntilHoursBefore: 48, feeCents: 4000 } };
      const refused = await admin('PATCH', `/admin/services/${h.ids.service}`, terms);
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'has_active_appointments', activeAppointments: 1 });
      await cancel(a.id);
      const ok = await admin('PATCH', `/admin/services/${h.ids.service}`, terms);
      expect(ok.statusCode).toBe(200);
      expect(ok.json().cancellation).toEqual({ freeUntilHoursBefore: 48, feeCents: 4000 });
    });

    it('DELETE is refused while an appointment or a hold uses it, then removes it softly', async () => {
      const a = await bookVia(h, (await slotsOf(h, DAY)).timeslots[0].id);
      const refused = await admin('DELETE', `/admin/services/${h.ids.service}`);
      expect(refused.statusCode).toBe(409);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json()).toMatchObject({
        code: 'has_active_appointments',
        activeAppointments: 1,
        liveHolds: 0,
      });
      expect(refused.json().detail).toMatch(/1 active appointment\(s\).*move or cancel them first/);
      await cancel(a.id);
      const held = await holdVia(h, { timeslotId: (await slotsOf(h, DAY)).timeslots[3].id });
      expect(held.statusCode).toBe(201);
      expect((await admin('DELETE', `/admin/services/${h.ids.service}`)).json()).toMatchObject({
        liveHolds: 1,
      });
      h.clock.advance(120_000); // the hold lapses
      const gone = await admin('DELETE', `/admin/services/${h.ids.service}`);
      expect(gone.statusCode).toBe(200);
      expect(gone.json()).toMatchObject({ id: h.ids.service, removed: true });
      // gone from the list and from new holds; the cancelled appointment still reads
      const list = await admin('GET', `/providers/${h.ids.provider}/services`);
      expect(list.json().items.map((s: { id: string }) => s.id)).not.toContain(h.ids.service);
      const avail = await h.app.inject({
        method: 'GET',
        url: `/providers/${h.ids.provider}/availability?serviceId=${h.ids.service}&date=${DAY}`,
        headers: auth(h.tokens.staff),
      });
      expect(avail.statusCode).toBe(404);
      const show = await h.app.inject({
        method: 'GET',
        url: `/appointments/${a.id}`,
        headers: auth(h.tokens.staff),
      });
      expect(show.json()).toMatchObject({ status: 'cancelled', serviceTitle: 'Consultation' });
      expect((await admin('DELETE', `/admin/services/${h.ids.service}`)).statusCode).toBe(404);
    });

    it('realtime slot updates leave a removed service out', async () => {
      const start = Date.parse(`${DAY}T00:00:00Z`);
      const day = [{ startAt: start, endAt: start + 30 * 3_600_000 }];
      const services = async () =>
        new Set((await timeslotMessage(h.ctx, h.ids.provider, DAY, day))?.changes.map((c) => c.serviceId));
      expect(await services()).toContain(h.ids.service60);
      expect((await admin('DELETE', `/admin/services/${h.ids.service60}`)).statusCode).toBe(200);
      expect(await services()).not.toContain(h.ids.service60);
    });
  });

  describe('providers: remove', () => {
    it('is refused with active appointments; afterwards the provider and its services leave the lists', async () => {
      const a = await bookVia(h, (await slotsOf(h, DAY)).timeslots[0].id);
      const refused = await admin('DELETE', `/admin/providers/${h.ids.provider}`);
      expect(refused.statusCode).toBe(409);
      expect(refused.json().code).toBe('has_active_appointments');
      await cancel(a.id);
      expect((await admin('DELETE', `/admin/providers/${h.ids.provider}`)).statusCode).toBe(200);
      expect((await admin('GET', '/providers')).json().items).toEqual([]);
      expect((await admin('GET', `/providers/${h.ids.provider}/services`)).statusCode).toBe(404);
      const trail = await admin('GET', '/admin/audit?action=provider.removed');
      expect(trail.json().items).toHaveLength(1);
    });
  });

  describe('time off: remove', () => {
    it('removes time off an admin added, and says not found for an unknown id', async () => {
      const add = await admin('POST', `/admin/providers/${h.ids.provider}/time-off`, {
        start: '2030-01-08T14:00:00Z',
        end: '2030-01-08T16:00:00Z',
        reason: 'dentist',
      });
      expect(add.statusCode).toBe(201);
      const free = async () =>
        (await slotsOf(h, DAY)).timeslots.filter((t: { status: string }) => t.status === 'available').length;
      const before = await free();
      const r = await admin('DELETE', `/admin/providers/${h.ids.provider}/time-off/${add.json().id}`);
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ id: add.json().id, removed: true });
      expect((await admin('GET', `/admin/providers/${h.ids.provider}/time-off`)).json().items).toEqual([]);
      expect(await free()).toBe(before + 4); // 14:00–16:00 UTC is free again (four 30-minute slots)
      expect(
        (await admin('DELETE', `/admin/providers/${h.ids.provider}/time-off/${add.json().id}`)).statusCode,
      ).toBe(404);
    });
  });

  describe('users: one per email', () => {
    it('POST /admin/users with an email that exists (any case) is 409 email_taken naming the user', async () => {
      const r = await admin('POST', '/admin/users', { name: 'Alice Again', email: 'ALICE@example.com' });
      expect(r.statusCode).toBe(409);
      expect(r.json()).toMatchObject({ code: 'email_taken', userId: h.ids.alice });
      expect(r.json().detail).toMatch(/Alice Doe/);
    });

    it('the database refuses a second user with the same email (migration 0005 / pg 0003)', async () => {
      const ins = stmt(h.ctx.db, 'INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)');
      await expect(ins.run('u-dup', 'Dup', 'Bob@Example.com', 0)).rejects.toSatisfy((e: unknown) =>
        /UNIQUE|unique|23505/.test(String((e as Error).message) + String((e as { code?: string }).code)),
      );
    });
  });
});
