import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stmt } from '../db/open.js';
import { write } from '../outbox/write.js';
import { sample } from './prom-text.js';
import { sweepExpired } from '../reservations/reservations.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => {
  await h.close();
});

const DAY = '2030-01-08';

async function scrape() {
  const r = await h.app.inject({ method: 'GET', url: '/metrics' });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toContain('text/plain');
  return r.body;
}

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

describe('/metrics', () => {
  it('is open, carries process metrics and the HTTP histogram by route and status', async () => {
    await h.app.inject({ method: 'GET', url: '/healthz' });
    await h.app.inject({ method: 'GET', url: '/nope' });
    const text = await scrape();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(
      sample(text, 'appt_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/healthz',
        status: '200',
      }),
    ).toBe(1);
    expect(
      sample(text, 'appt_http_request_duration_seconds_count', { route: 'unmatched', status: '404' }),
    ).toBe(1);
  });

  it('reports the realtime hub: connections and messages published', async () => {
    const before = await scrape();
    expect(sample(before, 'appt_realtime', { figure: 'connections' })).toBe(0);
    const slots = (await slotsOf(h, DAY)).timeslots;
    // a booking.confirmed goes out on the customer's channel (a provider's timeslot.updated
    // is only computed while someone listens on that channel)
    await bookVia(h, slots[0].id);
    await new Promise((r) => setTimeout(r, 50));
    const after = await scrape();
    expect(sample(after, 'appt_realtime', { figure: 'published' })).toBeGreaterThan(0);
  });

  it('a hold that expires moves the expiry counter; a release moves the release counter', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    await hold(slots[0].id);
    const second = await hold(slots[1].id);
    await h.app.inject({
      method: 'DELETE',
      url: `/reservations/${second.reservationToken}`,
      headers: auth(h.tokens.staff),
    });
    let text = await scrape();
    expect(sample(text, 'appt_reservations_created_total')).toBe(2);
    expect(sample(text, 'appt_reservations_released_total')).toBe(1);
    expect(sample(text, 'appt_reservations_expired_total')).toBe(0);
    expect(sample(text, 'appt_reservations_active')).toBe(1);

    h.clock.advance(91_000);
    expect(await write(h.ctx, async (w) => await sweepExpired(w.db, w))).toBe(1);
    text = await scrape();
    expect(sample(text, 'appt_reservations_expired_total')).toBe(1);
    expect(sample(text, 'appt_reservations_active')).toBe(0);
    expect(sample(text, 'appt_operation_attempts_total', { operation: 'hold' })).toBe(2);
    expect(sample(text, 'appt_booking_latency_seconds_count', { operation: 'hold', outcome: 'ok' })).toBe(2);
  });

  it('a failed reschedule moves the failure counter with its reason', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const appt = await bookVia(h, slots[0].id);
    const r1 = await hold(slots[4].id, { appointmentId: appt.id });
    h.clock.advance(91_000); // the hold lapses before the reschedule is confirmed
    const late = await h.app.inject({
      method: 'POST',
      url: `/appointments/${appt.id}/reschedule`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'rs-late' }),
      payload: { reservationToken: r1.reservationToken },
    });
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('reservation_expired');
    const unknown = await h.app.inject({
      method: 'POST',
      url: `/appointments/${appt.id}/reschedule`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'rs-unknown' }),
      payload: { reservationToken: 'rsv_nope' },
    });
    expect(unknown.statusCode).toBe(404);

    let text = await scrape();
    expect(sample(text, 'appt_reschedule_failures_total', { reason: 'reservation_expired' })).toBe(1);
    expect(sample(text, 'appt_reschedule_failures_total', { reason: 'reservation_not_found' })).toBe(1);
    expect(
      sample(text, 'appt_operation_failures_total', {
        operation: 'reschedule',
        reason: 'reservation_expired',
      }),
    ).toBe(1);
    expect(sample(text, 'appt_bookings_total')).toBe(1);
    expect(sample(text, 'appt_reservations_consumed_total', { purpose: 'book' })).toBe(1);

    // a replay of the refused request is not a second failure, it is a replay
    const replay = await h.app.inject({
      method: 'POST',
      url: `/appointments/${appt.id}/reschedule`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'rs-late' }),
      payload: { reservationToken: r1.reservationToken },
    });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    text = await scrape();
    expect(sample(text, 'appt_reschedule_failures_total', { reason: 'reservation_expired' })).toBe(1);
    expect(
      sample(text, 'appt_idempotent_replays_total', { route: 'POST /appointments/:id/reschedule' }),
    ).toBe(1);

    // then a good one
    const r2 = await hold(slots[6].id, { appointmentId: appt.id });
    const ok = await h.app.inject({
      method: 'POST',
      url: `/appointments/${appt.id}/reschedule`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'rs-ok' }),
      payload: { reservationToken: r2.reservationToken },
    });
    expect(ok.statusCode).toBe(200);
    text = await scrape();
    expect(sample(text, 'appt_reschedules_total')).toBe(1);
    expect(sample(text, 'appt_reservations_consumed_total', { purpose: 'reschedule' })).toBe(1);
    expect(sample(text, 'appt_audit_entries', { outcome: 'rejected' })).toBe(2);
  });

  it('counts cancellations and the fees applied; the outbox lag grows with the oldest pending event', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[0].id);
    const b = await bookVia(h, slots[2].id);
    h.clock.advance(3 * 3_600_000); // now inside the 24 h free-cancellation window
    const c1 = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/cancel`,
      headers: auth(h.tokens.alice, { 'idempotency-key': 'c1' }),
      payload: {},
    });
    expect(c1.json().feeCents).toBe(1500);
    const c2 = await h.app.inject({
      method: 'POST',
      url: `/appointments/${b.id}/cancel`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'c2' }),
      payload: { waiveFee: true, reason: 'doctor ill' },
    });
    expect(c2.json().feeCents).toBe(0);
    h.clock.advance(30_000);
    const text = await scrape();
    expect(sample(text, 'appt_cancellations_total', { fee: 'charged' })).toBe(1);
    expect(sample(text, 'appt_cancellations_total', { fee: 'none' })).toBe(1);
    expect(sample(text, 'appt_cancellation_fees_cents_total', { currency: 'USD' })).toBe(1500);
    expect(sample(text, 'appt_cancellation_refunds_cents_total', { currency: 'USD' })).toBe(3500 + 5000);
    // no jobs run in the harness: the booking/cancel events wait in the outbox
    expect(sample(text, 'appt_outbox_pending')).toBeGreaterThanOrEqual(4);
    expect(sample(text, 'appt_outbox_lag_seconds')).toBeGreaterThanOrEqual(30);
  });

  it('reports notification outcomes by channel from the notifications table', async () => {
    const now = h.clock.now();
    const ins = stmt(
      h.ctx.db,
      `INSERT INTO notifications (id, event_id, channel, recipient, template, status, message_id, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, 'e1', ?, ?, 't', ?, ?, 1, ?, ?, ?)`,
    );
    await ins.run('n1', 'email', 'a@x', 'delivered', 'm1', now, now, now);
    await ins.run('n2', 'email', 'b@x', 'bounced', 'm2', now, now, now);
    await ins.run('n3', 'sms', '+1', 'failed', 'm3', now, now, now);
    const text = await scrape();
    expect(sample(text, 'appt_notifications', { channel: 'email', status: 'delivered' })).toBe(1);
    expect(sample(text, 'appt_notifications', { channel: 'email', status: 'bounced' })).toBe(1);
    expect(sample(text, 'appt_notifications', { channel: 'sms', status: 'failed' })).toBe(1);
  });

  it('keeps each app instance’s counters apart', async () => {
    const other = await makeHarness();
    try {
      await hold((await slotsOf(h, DAY)).timeslots[0].id);
      const r = await other.app.inject({ method: 'GET', url: '/metrics' });
      expect(sample(r.body, 'appt_reservations_created_total')).toBe(0);
      expect(sample(await scrape(), 'appt_reservations_created_total')).toBe(1);
    } finally {
      await other.close();
    }
  });
});
