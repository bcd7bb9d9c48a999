import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY as DAY_MS } from '../../shared/time.js';
import { write } from '../outbox/write.js';
import { sweepExpired } from '../reservations/reservations.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import { parseSince } from './stats.js';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => {
  await h.close();
});

const DAY = '2030-01-08';

async function hold(timeslotId: string, extra: Record<string, unknown> = {}) {
  const r = await h.app.inject({
    method: 'POST',
    url: '/reservations',
    headers: auth(h.tokens.staff),
    payload: {
      providerId: h.ids.provider,
      serviceId: h.ids.service,
      timeslotId,
      userId: h.ids.alice,
      ...extra,
    },
  });
  expect(r.statusCode).toBe(201);
  return r.json() as { reservationToken: string };
}

function stats(query = '', token = h.tokens.support) {
  return h.app.inject({ method: 'GET', url: `/admin/stats${query}`, headers: auth(token) });
}

describe('parseSince', () => {
  const now = Date.parse('2030-01-07T12:00:00Z');
  it('takes spans back from now and ISO instants', () => {
    expect(parseSince('7d', now)).toBe(now - 7 * DAY_MS);
    expect(parseSince('24h', now)).toBe(now - DAY_MS);
    expect(parseSince('90m', now)).toBe(now - 90 * 60_000);
    expect(parseSince('2w', now)).toBe(now - 14 * DAY_MS);
    expect(parseSince('2030-01-01', now)).toBe(Date.parse('2030-01-01'));
    expect(parseSince('2030-01-05T10:00:00+02:00', now)).toBe(Date.parse('2030-01-05T08:00:00Z'));
  });
  it('refuses anything else and the future', () => {
    for (const bad of ['', 'yesterday', '7', '-7d', 'd7', '2030-13-45', '2031-01-01', '9999999d'])
      expect(parseSince(bad, now)).toBeNull();
  });
});

describe('GET /admin/stats', () => {
  it('summarises bookings, reschedules, cancellations, fees, expiry and failure rates per day', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[0].id);
    const b = await bookVia(h, slots[2].id);
    // a reschedule that fails (its hold lapsed), then one that succeeds
    const late = await hold(slots[6].id, { appointmentId: a.id });
    h.clock.advance(91_000);
    await write(h.ctx, async (w) => await sweepExpired(w.db, w));
    const r1 = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/reschedule`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'late' }),
      payload: { reservationToken: late.reservationToken },
    });
    expect(r1.json().code).toBe('reservation_expired');
    const ok = await hold(slots[8].id, { appointmentId: a.id });
    const r2 = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/reschedule`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'ok' }),
      payload: { reservationToken: ok.reservationToken },
    });
    expect(r2.statusCode).toBe(200);
    h.clock.advance(3 * 3_600_000);
    const c = await h.app.inject({
      method: 'POST',
      url: `/appointments/${b.id}/cancel`,
      headers: auth(h.tokens.alice, { 'idempotency-key': 'c' }),
      payload: {},
    });
    expect(c.json().feeCents).toBe(1500);

    const r = await stats('?since=1d');
    expect(r.statusCode).toBe(200);
    const s = r.json();
    expect(s).toMatchObject({
      bookings: 2,
      reschedules: 1,
      cancellations: 1,
      cancellationsWithFee: 1,
      dayZone: 'UTC',
      feesByCurrency: { USD: 1500 },
      refundsByCurrency: { USD: 3500 },
      bookingFailures: 0,
      rescheduleAttempts: 2,
      rescheduleFailures: 1,
      rescheduleFailureRate: 0.5,
      cancellationFailures: 0,
      holds: { created: 4, consumed: 3, released: 0, expired: 1, active: 0, expiryRate: 0.25 },
      topFailureReasons: [{ action: 'reschedule', code: 'reservation_expired', count: 1 }],
      days: 1,
    });
    expect(s.perDay).toHaveLength(2); // 2030-01-06 and 2030-01-07 (UTC days)
    expect(s.perDay[1]).toMatchObject({
      date: '2030-01-07',
      bookings: 2,
      reschedules: 1,
      cancellations: 1,
      feesByCurrency: { USD: 1500 },
      holdsExpired: 1,
      rescheduleFailures: 1,
    });
    expect(s.ratesPerDay).toMatchObject({ bookings: 2, reschedules: 1, cancellations: 1 });
    expect(s.outbox.pending).toBeGreaterThan(0);
    expect(s.outbox.lagSeconds).toBeGreaterThan(3 * 3600 - 1);
  });

  it('never adds currencies together: fees and refunds per currency, in total and per day', async () => {
    const nzd = await h.app.inject({
      method: 'POST',
      url: '/admin/services',
      headers: auth(h.tokens.admin),
      payload: {
        providerId: h.ids.provider,
        title: 'Kiwi check',
        durationMinutes: 30,
        priceCents: 8000,
        currency: 'NZD',
        cancellation: { freeUntilHoursBefore: 24, feeCents: 2000 },
      },
    });
    expect(nzd.statusCode).toBe(201);
    const usdSlot = (await slotsOf(h, DAY)).timeslots[2];
    const nzdSlot = (await slotsOf(h, DAY, nzd.json().id)).timeslots[6];
    const a = await bookVia(h, usdSlot.id);
    const b = await bookVia(h, nzdSlot.id, { serviceId: nzd.json().id });
    h.clock.advance(6 * 3_600_000); // both inside their fee windows
    for (const id of [a.id, b.id]) {
      const c = await h.app.inject({
        method: 'POST',
        url: `/appointments/${id}/cancel`,
        headers: auth(h.tokens.alice, { 'idempotency-key': `c-${id}` }),
        payload: {},
      });
      expect(c.statusCode).toBe(200);
    }
    const s = (await stats('?since=1d')).json();
    expect(s.feesByCurrency).toEqual({ USD: 1500, NZD: 2000 });
    expect(s.refundsByCurrency).toEqual({ USD: 3500, NZD: 6000 });
    expect(s).not.toHaveProperty('feesCents');
    expect(s.dayZone).toBe('UTC');
    const today = s.perDay.at(-1);
    expect(today.feesByCurrency).toEqual({ USD: 1500, NZD: 2000 });
    expect(today).not.toHaveProperty('feesCents');
  });

  it('counts a lapsed hold the sweeper has not reached yet as expired', async () => {
    await hold((await slotsOf(h, DAY)).timeslots[0].id);
    h.clock.advance(120_000);
    const s = (await stats()).json();
    expect(s.holds).toMatchObject({ created: 1, expired: 1, active: 0, expiryRate: 1 });
    expect(s.days).toBe(7);
    expect(s.perDay).toHaveLength(8);
  });

  it('is for admin and support; a bad since is a 400 problem', async () => {
    expect((await stats('', h.tokens.admin)).statusCode).toBe(200);
    expect((await stats('', h.tokens.staff)).statusCode).toBe(403);
    expect((await stats('', h.tokens.alice)).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/admin/stats' })).statusCode).toBe(401);
    const bad = await stats('?since=last-tuesday');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json().code).toBe('validation');
    expect((await stats('?since=7d&extra=1')).statusCode).toBe(400);
  });
});
