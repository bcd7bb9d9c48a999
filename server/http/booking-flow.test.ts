import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkInvariants } from '../invariants/check.js';
import { write } from '../outbox/write.js';
import { sweepExpired } from '../reservations/reservations.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => {
  await h.close();
});

const DAY = '2030-01-08'; // the day after the harness's "now" (Mon 2030-01-07 12:00Z)

async function hold(token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return h.app.inject({
    method: 'POST',
    url: '/reservations',
    headers: auth(token, headers),
    payload: { providerId: h.ids.provider, serviceId: h.ids.service, ...body },
  });
}

describe('availability', () => {
  it('serves the day in the provider zone with statuses, hiding past slots', async () => {
    const a = await slotsOf(h, DAY);
    expect(a.timezone).toBe('America/New_York');
    expect(a.timeslots).toHaveLength(16);
    expect(a.timeslots[0].start).toBe('2030-01-08T14:00:00.000Z'); // 09:00 EST
    expect(a.timeslots.every((s) => s.status === 'available')).toBe(true);
    // today: now is 07:00 EST, so all of 09:00–17:00 is still ahead
    expect((await slotsOf(h, '2030-01-07')).timeslots).toHaveLength(16);
    h.clock.set('2030-01-07T19:10:00Z'); // 14:10 EST
    const today = await slotsOf(h, 'today');
    expect(today.timeslots[0].start).toBe('2030-01-07T19:30:00.000Z');
    expect((await slotsOf(h, '2030-01-06')).timeslots).toHaveLength(0); // past day
  });

  it('a hold greys out every overlapping slot of the provider, whatever the service', async () => {
    const s60 = (await slotsOf(h, DAY, h.ids.service60)).timeslots;
    const r = await hold(h.tokens.staff, {
      serviceId: h.ids.service60,
      timeslotId: s60[2].id,
      userId: h.ids.alice,
    }); // 10:00–11:00
    expect(r.statusCode).toBe(201);
    const s30 = (await slotsOf(h, DAY)).timeslots;
    expect(s30.filter((s) => s.status === 'reserved').map((s) => s.start)).toEqual([
      '2030-01-08T15:00:00.000Z',
      '2030-01-08T15:30:00.000Z',
    ]);
    const again = (await slotsOf(h, DAY, h.ids.service60)).timeslots.filter((s) => s.status === 'reserved');
    expect(again.map((s) => s.start)).toEqual([
      '2030-01-08T14:30:00.000Z',
      '2030-01-08T15:00:00.000Z',
      '2030-01-08T15:30:00.000Z',
    ]);
  });

  it('rejects bad dates, unknown providers and services', async () => {
    const bad = await h.app.inject({
      method: 'GET',
      url: `/providers/${h.ids.provider}/availability?serviceId=${h.ids.service}&date=2030-02-30`,
      headers: auth(h.tokens.alice),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json().code).toBe('validation');
    const nf = await h.app.inject({
      method: 'GET',
      url: `/providers/nope/availability?serviceId=${h.ids.service}&date=${DAY}`,
      headers: auth(h.tokens.alice),
    });
    expect(nf.statusCode).toBe(404);
    expect(nf.json().code).toBe('not_found');
  });
});

describe('holds', () => {
  it('a second hold on a held slot is 409 slot_taken with alternatives, whoever holds it', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    expect((await hold(h.tokens.alice, { timeslotId: slots[4].id })).statusCode).toBe(201);
    for (const token of [h.tokens.bob, h.tokens.alice, h.tokens.staff]) {
      const r = await hold(token, {
        timeslotId: slots[4].id,
        ...(token === h.tokens.staff ? { userId: h.ids.bob } : {}),
      });
      expect(r.statusCode).toBe(409);
      const p = r.json();
      expect(p.code).toBe('slot_taken');
      expect(p.alternatives.length).toBeGreaterThan(0);
      const deltas = p.alternatives
        .slice(0, 2)
        .map((a: { deltaMinutes: number }) => Math.abs(a.deltaMinutes));
      expect(deltas).toEqual([30, 30]);
      expect(p.alternatives[0]).toMatchObject({ priceDeltaCents: 0 });
    }
  });

  it('an expired hold stops blocking at its expiry instant, before any sweep', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const r = await hold(h.tokens.alice, { timeslotId: slots[0].id });
    expect(r.json().expiresAt).toBe('2030-01-07T12:01:30.000Z');
    h.clock.advance(89_999);
    expect((await hold(h.tokens.bob, { timeslotId: slots[0].id })).statusCode).toBe(409);
    h.clock.advance(1);
    expect((await slotsOf(h, DAY)).timeslots[0].status).toBe('available');
    expect((await hold(h.tokens.bob, { timeslotId: slots[0].id })).statusCode).toBe(201);
    expect((await checkInvariants(h.ctx.db, h.clock.now())).ok).toBe(true);
  });

  it('the sweeper marks lapsed holds expired', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    await hold(h.tokens.alice, { timeslotId: slots[1].id });
    h.clock.advance(91_000);
    expect((await checkInvariants(h.ctx.db, h.clock.now())).problems.map((p) => p.kind)).toEqual([
      'stale_hold',
    ]);
    expect(await write(h.ctx, async (w) => await sweepExpired(w.db, w))).toBe(1);
    expect((await checkInvariants(h.ctx.db, h.clock.now())).ok).toBe(true);
  });

  it('release: 204, the slot frees, other users cannot release it (404)', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const token = (await hold(h.tokens.alice, { timeslotId: slots[2].id })).json().reservationToken;
    const bobTry = await h.app.inject({
      method: 'DELETE',
      url: `/reservations/${token}`,
      headers: auth(h.tokens.bob),
    });
    expect(bobTry.statusCode).toBe(404);
    expect(bobTry.json().code).toBe('reservation_not_found');
    const ok = await h.app.inject({
      method: 'DELETE',
      url: `/reservations/${token}`,
      headers: auth(h.tokens.alice),
    });
    expect(ok.statusCode).toBe(204);
    expect((await slotsOf(h, DAY)).timeslots[2].status).toBe('available');
    expect(
      (await h.app.inject({ method: 'DELETE', url: `/reservations/${token}`, headers: auth(h.tokens.alice) }))
        .statusCode,
    ).toBe(204);
  });

  it('a new hold by the same actor for the same appointment releases the previous one', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const appt = await bookVia(h, slots[0].id, { token: h.tokens.alice });
    const first = await hold(h.tokens.alice, { timeslotId: slots[5].id, appointmentId: appt.id });
    expect(first.statusCode).toBe(201);
    const second = await hold(h.tokens.alice, { timeslotId: slots[7].id, appointmentId: appt.id });
    expect(second.statusCode).toBe(201);
    const after = (await slotsOf(h, DAY)).timeslots;
    expect(after[5].status).toBe('available');
    expect(after[7].status).toBe('reserved');
  });

  it('the same Idempotency-Key returns the same hold', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await hold(h.tokens.alice, { timeslotId: slots[3].id }, { 'idempotency-key': 'hold-1' });
    const b = await hold(h.tokens.alice, { timeslotId: slots[3].id }, { 'idempotency-key': 'hold-1' });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.body).toBe(a.body);
    expect(b.headers['idempotent-replayed']).toBe('true');
  });

  it('holds in the past, inside the notice, outside hours or of another service are refused', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const s60 = (await slotsOf(h, DAY, h.ids.service60)).timeslots;
    const wrongService = await hold(h.tokens.alice, { timeslotId: s60[0].id });
    expect(wrongService.statusCode).toBe(400);
    expect((await hold(h.tokens.alice, { timeslotId: 'ts_garbage' })).json().code).toBe('validation');
    h.clock.set('2030-01-08T14:10:00Z');
    const past = await hold(h.tokens.alice, { timeslotId: slots[0].id });
    expect(past.statusCode).toBe(422);
    expect(past.json().code).toBe('policy_violation');
    const extra = await hold(h.tokens.alice, { timeslotId: slots[3].id, bogus: 1 });
    expect(extra.statusCode).toBe(400);
  });
});

describe('book, reschedule, cancel', () => {
  it('books (201, confirmed, ETag), reschedules keeping the id (version+1), cancels with the fee', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const appt = await bookVia(h, slots[0].id, { token: h.tokens.alice });
    expect(appt.status).toBe('confirmed');
    expect(appt.version).toBe(1);
    const detail = await h.app.inject({
      method: 'GET',
      url: `/appointments/${appt.id}`,
      headers: auth(h.tokens.alice),
    });
    expect(detail.headers.etag).toBe('"1"');
    expect(detail.json().audit.map((e: { action: string }) => e.action)).toEqual(['created']);
    expect(detail.json().cancellationPolicy.freeUntilHoursBefore).toBe(24);

    const r = await hold(h.tokens.alice, { timeslotId: slots[6].id, appointmentId: appt.id });
    const moved = await h.app.inject({
      method: 'POST',
      url: `/appointments/${appt.id}/reschedule`,
      headers: auth(h.tokens.alice, { 'idempotency-key': 'mv-1', 'if-match': '"1"' }),
      payload: { reservationToken: r.json().reservationToken, reason: 'clash' },
    });
    expect(moved.statusCode).toBe(200);
    const m = moved.json();
    expect(m).toMatchObject({
      id: appt.id,
      status: 'rescheduled',
      version: 2,
      rescheduleCount: 1,
      start: slots[6].start,
    });
    expect(m.previousStart).toBe(slots[0].start);
    expect(moved.headers.etag).toBe('"2"');
    const avail = (await slotsOf(h, DAY)).timeslots;
    expect(avail[0].status).toBe('available');
    expect(avail[6].status).toBe('booked');

    // inside the 24 h window (the new time is 17:00Z tomorrow): the fee applies
    h.clock.set('2030-01-07T18:00:00Z');
    const quote = await h.app.inject({
      method: 'GET',
      url: `/appointments/${appt.id}/cancellation-quote`,
      headers: auth(h.tokens.alice),
    });
    expect(quote.json()).toMatchObject({
      priceCents: 5000,
      feeCents: 1500,
      refundCents: 3500,
      currency: 'USD',
    });
    const c = await h.app.inject({
      method: 'POST',
      url: `/appointments/${appt.id}/cancel`,
      headers: auth(h.tokens.alice, { 'idempotency-key': 'c-1' }),
      payload: { reason: 'ill' },
    });
    expect(c.statusCode).toBe(200);
    expect(c.json()).toMatchObject({
      feeCents: 1500,
      refundCents: 3500,
      appointment: { status: 'cancelled', version: 3 },
    });
    const audit = await h.app.inject({
      method: 'GET',
      url: `/appointments/${appt.id}/audit`,
      headers: auth(h.tokens.alice),
    });
    expect(audit.json().items.map((e: { action: string }) => e.action)).toEqual([
      'created',
      'rescheduled',
      'cancelled',
    ]);
    expect(audit.json().items[1].previousSlot.start).toBe(slots[0].start);
    expect((await checkInvariants(h.ctx.db, h.clock.now())).ok).toBe(true);
  });

  it('cancelling outside the free window is free; staff may waive a fee only with a reason', async () => {
    const far = (await slotsOf(h, '2030-01-20')).timeslots;
    const a = await bookVia(h, far[0].id);
    const q = await h.app.inject({
      method: 'GET',
      url: `/appointments/${a.id}/cancellation-quote`,
      headers: auth(h.tokens.staff),
    });
    expect(q.json()).toMatchObject({
      feeCents: 0,
      refundCents: 5000,
      refundableUntil: '2030-01-19T14:00:00.000Z',
    });

    const near = (await slotsOf(h, DAY)).timeslots;
    const b = await bookVia(h, near[1].id);
    const noReason = await h.app.inject({
      method: 'POST',
      url: `/appointments/${b.id}/cancel`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'w-1' }),
      payload: { waiveFee: true },
    });
    expect(noReason.statusCode).toBe(400);
    const userWaive = await h.app.inject({
      method: 'POST',
      url: `/appointments/${b.id}/cancel`,
      headers: auth(h.tokens.alice, { 'idempotency-key': 'w-2' }),
      payload: { waiveFee: true, reason: 'please' },
    });
    expect(userWaive.statusCode).toBe(403);
    const ok = await h.app.inject({
      method: 'POST',
      url: `/appointments/${b.id}/cancel`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'w-3' }),
      payload: { waiveFee: true, reason: 'provider ill' },
    });
    expect(ok.json()).toMatchObject({ feeCents: 0, refundCents: 5000 });
  });

  it('a started appointment can no longer be moved or cancelled; staff complete it', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[0].id);
    h.clock.set('2030-01-08T14:00:00Z');
    const c = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/cancel`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'late' }),
      payload: {},
    });
    expect(c.statusCode).toBe(409);
    expect(c.json().code).toBe('appointment_started');
    const userDone = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/complete`,
      headers: auth(h.tokens.alice),
      payload: {},
    });
    expect(userDone.statusCode).toBe(403);
    const done = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/complete`,
      headers: auth(h.tokens.staff),
      payload: {},
    });
    expect(done.json()).toMatchObject({ status: 'completed', version: 2 });
    const again = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/cancel`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'late-2' }),
      payload: {},
    });
    expect(again.json().code).toBe('appointment_not_active');
    const audit = await h.app.inject({
      method: 'GET',
      url: `/appointments/${a.id}/audit`,
      headers: auth(h.tokens.staff),
    });
    const items = audit.json().items as { action: string; outcome: string; errorCode: string | null }[];
    expect(items.map((e) => [e.action, e.outcome, e.errorCode])).toEqual([
      ['created', 'applied', null],
      ['cancel', 'rejected', 'appointment_started'],
      ['completed', 'applied', null],
      ['cancel', 'rejected', 'appointment_not_active'],
    ]);
  });

  it('reschedule: expired hold 409 reservation_expired; hold of another appointment 400; min notice 422', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[0].id);
    const b = await bookVia(h, slots[1].id);
    const r = await hold(h.tokens.staff, { timeslotId: slots[8].id, appointmentId: a.id });
    const tok = r.json().reservationToken;
    const wrong = await h.app.inject({
      method: 'POST',
      url: `/appointments/${b.id}/reschedule`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'x1' }),
      payload: { reservationToken: tok },
    });
    expect(wrong.statusCode).toBe(400);
    const mismatch = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/reschedule`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'x2' }),
      payload: { reservationToken: tok, appointmentId: b.id },
    });
    expect(mismatch.statusCode).toBe(400);
    h.clock.advance(91_000);
    const expired = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/reschedule`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'x3' }),
      payload: { reservationToken: tok },
    });
    expect(expired.statusCode).toBe(409);
    expect(expired.json().code).toBe('reservation_expired');
    const gone = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/reschedule`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'x4' }),
      payload: { reservationToken: 'rsv_nope' },
    });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('reservation_not_found');
  });

  it('minimum notice counts to the new slot: a hold that falls inside it by confirm time is 422', async () => {
    // the 60-minute service has no notice; give the provider a service with 2 h notice
    const svc = await h.app.inject({
      method: 'POST',
      url: '/admin/services',
      headers: auth(h.tokens.admin),
      payload: {
        providerId: h.ids.provider,
        title: 'Noticed',
        durationMinutes: 30,
        priceCents: 100,
        minNoticeMinutes: 120,
      },
    });
    const sid = svc.json().id;
    h.clock.set('2030-01-07T11:59:00Z'); // 06:59 EST: 09:00 EST (14:00Z) is 121 minutes away
    const today = (await slotsOf(h, '2030-01-07', sid)).timeslots;
    expect(today[0].start).toBe('2030-01-07T14:00:00.000Z');
    const a = await bookVia(h, today[today.length - 1].id, { serviceId: sid });
    const r = await hold(h.tokens.staff, { serviceId: sid, timeslotId: today[0].id, appointmentId: a.id });
    expect(r.statusCode).toBe(201);
    h.clock.set('2030-01-07T12:00:01Z'); // the hold is still alive, but 09:00 EST is now inside 120 min
    const late = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/reschedule`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'n1' }),
      payload: { reservationToken: r.json().reservationToken },
    });
    expect(late.statusCode).toBe(422);
    expect(late.json().code).toBe('policy_violation');
  });

  it('If-Match with a stale version is 412 version_mismatch and changes nothing', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[0].id);
    const r = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/cancel`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'im-1', 'if-match': '"7"' }),
      payload: {},
    });
    expect(r.statusCode).toBe(412);
    expect(r.json().code).toBe('version_mismatch');
    const d = await h.app.inject({
      method: 'GET',
      url: `/appointments/${a.id}`,
      headers: auth(h.tokens.staff),
    });
    expect(d.json().status).toBe('confirmed');
  });

  it('services needing approval book as upcoming; staff confirm', async () => {
    const svc = await h.app.inject({
      method: 'POST',
      url: '/admin/services',
      headers: auth(h.tokens.admin),
      payload: {
        providerId: h.ids.provider,
        title: 'Approval',
        durationMinutes: 30,
        priceCents: 100,
        requiresApproval: true,
      },
    });
    const sid = svc.json().id;
    const s = (await slotsOf(h, DAY, sid)).timeslots;
    const a = await bookVia(h, s[3].id, { serviceId: sid });
    expect(a.status).toBe('upcoming');
    const noKey = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/confirm`,
      headers: auth(h.tokens.staff),
      payload: {},
    });
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().code).toBe('idempotency_key_missing');
    const ok = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/confirm`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'cf' }),
      payload: {},
    });
    expect(ok.json()).toMatchObject({ status: 'confirmed', version: 2 });
  });
});
