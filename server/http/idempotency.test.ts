import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stmt } from '../db/open.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => {
  await h.close();
});

const count = async (sql: string, ...args: unknown[]) =>
  ((await stmt(h.ctx.db, sql).get(...args)) as { n: number }).n;

async function cancel(
  id: string,
  headers: Record<string, string>,
  payload: Record<string, unknown> = {},
  token = h.tokens.alice,
) {
  return h.app.inject({
    method: 'POST',
    url: `/appointments/${id}/cancel`,
    headers: auth(token, headers),
    payload,
  });
}

describe('Idempotency-Key (Stripe semantics)', () => {
  it('same key twice → identical body, one effect, one audit entry, one outbox event', async () => {
    const slots = (await slotsOf(h, '2030-01-20')).timeslots;
    const a = await bookVia(h, slots[0].id, { token: h.tokens.alice });
    const first = await cancel(a.id, { 'idempotency-key': 'k1' }, { reason: 'ill' });
    const second = await cancel(a.id, { 'idempotency-key': 'k1' }, { reason: 'ill' });
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(
      await count("SELECT COUNT(*) n FROM audit_entries WHERE subject = ? AND action = 'cancelled'", a.id),
    ).toBe(1);
    expect(await count("SELECT COUNT(*) n FROM outbox WHERE topic = 'booking.cancelled'")).toBe(1);
  });

  it('key in the body works like the header; header and body must agree', async () => {
    const slots = (await slotsOf(h, '2030-01-20')).timeslots;
    const a = await bookVia(h, slots[1].id, { token: h.tokens.alice });
    const differ = await cancel(a.id, { 'idempotency-key': 'h' }, { idempotencyKey: 'b' });
    expect(differ.statusCode).toBe(400);
    const viaBody = await cancel(a.id, {}, { idempotencyKey: 'body-key' });
    expect(viaBody.statusCode).toBe(200);
    const replay = await cancel(a.id, {}, { idempotencyKey: 'body-key' });
    expect(replay.body).toBe(viaBody.body);
  });

  it('same key with a changed reason → 422 idempotency_key_reused, nothing changes', async () => {
    const slots = (await slotsOf(h, '2030-01-20')).timeslots;
    const a = await bookVia(h, slots[2].id, { token: h.tokens.alice });
    const s = await bookVia(h, slots[3].id, { token: h.tokens.alice });
    await cancel(a.id, { 'idempotency-key': 'k2' }, { reason: 'one' });
    const r = await cancel(a.id, { 'idempotency-key': 'k2' }, { reason: 'two' });
    expect(r.statusCode).toBe(422);
    expect(r.json().code).toBe('idempotency_key_reused');
    // the same key on another appointment is another request too
    const other = await cancel(s.id, { 'idempotency-key': 'k2' }, { reason: 'one' });
    expect(other.statusCode).toBe(422);
    const d = await h.app.inject({
      method: 'GET',
      url: `/appointments/${s.id}`,
      headers: auth(h.tokens.alice),
    });
    expect(d.json().status).toBe('confirmed');
  });

  it('missing key → 400 idempotency_key_missing on bookings, reschedule, cancel, confirm', async () => {
    const slots = (await slotsOf(h, '2030-01-20')).timeslots;
    const a = await bookVia(h, slots[4].id);
    for (const [url, payload] of [
      ['/bookings', { reservationToken: 'rsv_x', userId: h.ids.alice }],
      [`/appointments/${a.id}/reschedule`, { reservationToken: 'rsv_x' }],
      [`/appointments/${a.id}/cancel`, {}],
      [`/appointments/${a.id}/confirm`, {}],
    ] as const) {
      const r = await h.app.inject({ method: 'POST', url, headers: auth(h.tokens.staff), payload });
      expect(r.statusCode, url).toBe(400);
      expect(r.json().code, url).toBe('idempotency_key_missing');
    }
  });

  it('a key still in flight (another process) → 409 idempotency_in_flight; a lapsed claim is taken over', async () => {
    const slots = (await slotsOf(h, '2030-01-20')).timeslots;
    const a = await bookVia(h, slots[5].id, { token: h.tokens.alice });
    const first = await cancel(a.id, { 'idempotency-key': 'fly' });
    expect(first.statusCode).toBe(200);
    // simulate a crashed/in-progress first attempt of another request under a fresh key
    const b = await bookVia(h, slots[6].id, { token: h.tokens.alice });
    const body = {};
    const { fingerprint } = await import('../idempotency/idempotency.js');
    await stmt(
      h.ctx.db,
      `INSERT INTO idempotency_keys (actor_id, key, method, route, fingerprint, state, created_at, locked_until, expires_at)
       VALUES (?, 'busy', 'POST', '/appointments/:id/cancel', ?, 'in_flight', ?, ?, ?)`,
    ).run(
      h.ids.alice,
      fingerprint('POST', `/appointments/${b.id}/cancel`, body),
      h.clock.now(),
      h.clock.now() + 60_000,
      h.clock.now() + 86_400_000,
    );
    const busy = await cancel(b.id, { 'idempotency-key': 'busy' }, body);
    expect(busy.statusCode).toBe(409);
    expect(busy.json().code).toBe('idempotency_in_flight');
    h.clock.advance(61_000);
    const taken = await cancel(b.id, { 'idempotency-key': 'busy' }, body);
    expect(taken.statusCode).toBe(200);
  });

  it('keys are scoped to the actor and expire after 24 h', async () => {
    const slots = (await slotsOf(h, '2030-01-20')).timeslots;
    const a = await bookVia(h, slots[7].id, { token: h.tokens.bob, userId: h.ids.bob });
    const b = await bookVia(h, slots[8].id, { token: h.tokens.alice });
    expect((await cancel(b.id, { 'idempotency-key': 'shared' })).statusCode).toBe(200);
    // bob's identical key is his own: it runs, on his own appointment
    const bob = await cancel(a.id, { 'idempotency-key': 'shared' }, {}, h.tokens.bob);
    expect(bob.statusCode).toBe(200);
    expect(bob.headers['idempotent-replayed']).toBeUndefined();
    h.clock.advance(24 * 3600_000 + 1);
    const later = await cancel(b.id, { 'idempotency-key': 'shared' });
    expect(later.statusCode).toBe(409); // a fresh attempt: already cancelled
    expect(later.json().code).toBe('appointment_not_active');
  });

  it('a refused request is stored too: the retry gets the same problem, and one rejected audit entry', async () => {
    const slots = (await slotsOf(h, '2030-01-20')).timeslots;
    const a = await bookVia(h, slots[9].id, { token: h.tokens.alice });
    const r1 = await cancel(a.id, { 'idempotency-key': 'stale', 'if-match': '"5"' });
    const r2 = await cancel(a.id, { 'idempotency-key': 'stale', 'if-match': '"5"' });
    expect(r1.statusCode).toBe(412);
    expect(r2.body).toBe(r1.body);
    expect(
      await count("SELECT COUNT(*) n FROM audit_entries WHERE subject = ? AND outcome = 'rejected'", a.id),
    ).toBe(1);
  });

  it('booking replays return the same appointment; the hold cannot be booked twice', async () => {
    const slots = (await slotsOf(h, '2030-01-20')).timeslots;
    const hold = await h.app.inject({
      method: 'POST',
      url: '/reservations',
      headers: auth(h.tokens.alice),
      payload: { providerId: h.ids.provider, serviceId: h.ids.service, timeslotId: slots[10].id },
    });
    const payload = { reservationToken: hold.json().reservationToken, userId: h.ids.alice };
    const b1 = await h.app.inject({
      method: 'POST',
      url: '/bookings',
      headers: auth(h.tokens.alice, { 'idempotency-key': 'bk' }),
      payload,
    });
    const b2 = await h.app.inject({
      method: 'POST',
      url: '/bookings',
      headers: auth(h.tokens.alice, { 'idempotency-key': 'bk' }),
      payload,
    });
    expect(b1.statusCode).toBe(201);
    expect(b2.statusCode).toBe(201);
    expect(b2.body).toBe(b1.body);
    const b3 = await h.app.inject({
      method: 'POST',
      url: '/bookings',
      headers: auth(h.tokens.alice, { 'idempotency-key': 'bk-2' }),
      payload,
    });
    expect(b3.statusCode).toBe(404);
    expect(b3.json().code).toBe('reservation_not_found');
    expect(
      await count('SELECT COUNT(*) n FROM appointments WHERE start_at = ?', Date.parse(slots[10].start)),
    ).toBe(1);
  });

  it('14. one commit per keyed request: the key and its answer are stored in the change itself; a replay writes nothing', async () => {
    const slots = (await slotsOf(h, '2030-01-21')).timeslots;
    const a = await bookVia(h, slots[0].id, { token: h.tokens.alice });
    const db = h.ctx.db;
    const real = db.transaction.bind(db);
    let transactions = 0;
    db.transaction = ((fn: never, o?: never) => {
      transactions++;
      return real(fn, o);
    }) as typeof db.transaction;
    try {
      const first = await cancel(a.id, { 'idempotency-key': 'one-commit' });
      expect(first.statusCode).toBe(200);
      expect(transactions).toBe(1);
      const again = await cancel(a.id, { 'idempotency-key': 'one-commit' });
      expect(again.body).toBe(first.body);
      expect(transactions).toBe(1); // answered from a read
    } finally {
      db.transaction = real;
    }
    expect(
      await count("SELECT COUNT(*) AS n FROM idempotency_keys WHERE key = 'one-commit' AND state = 'done'"),
    ).toBe(1);
  });

  it('the same key sent 10 times at once: one effect, the others 409 in flight or the same answer', async () => {
    const slots = (await slotsOf(h, '2030-01-21')).timeslots;
    const a = await bookVia(h, slots[1].id, { token: h.tokens.alice });
    const rs = await Promise.all(
      Array.from({ length: 10 }, () => cancel(a.id, { 'idempotency-key': 'burst' })),
    );
    const ok = rs.filter((r) => r.statusCode === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((r) => r.body)).size).toBe(1);
    for (const r of rs.filter((x) => x.statusCode !== 200))
      expect([r.statusCode, r.json().code]).toEqual([409, 'idempotency_in_flight']);
    expect(
      await count(
        "SELECT COUNT(*) AS n FROM audit_entries WHERE action = 'cancelled' AND outcome = 'applied' AND subject = ?",
        a.id,
      ),
    ).toBe(1);
  });
});
