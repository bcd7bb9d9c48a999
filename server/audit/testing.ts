import { expect } from 'vitest';
import type { Db } from '../db/port.js';
import { auth, bookVia, type Harness, slotsOf } from '../testing/harness.js';
import { disableTrigger } from '../testing/bypass.js';

/** An appointment with three entries in its chain: created, rescheduled, cancelled. */
export async function threeEntries(h: Harness): Promise<string> {
  const slots = (await slotsOf(h, '2030-01-20')).timeslots;
  const a = await bookVia(h, slots[0].id);
  const r = await h.app.inject({
    method: 'POST',
    url: '/reservations',
    headers: auth(h.tokens.staff),
    payload: {
      providerId: h.ids.provider,
      serviceId: h.ids.service,
      timeslotId: slots[3].id,
      appointmentId: a.id,
    },
  });
  for (const [url, key, payload] of [
    [`/appointments/${a.id}/reschedule`, 'm', { reservationToken: r.json().reservationToken }],
    [`/appointments/${a.id}/cancel`, 'c', {}],
  ] as const) {
    const res = await h.app.inject({
      method: 'POST',
      url,
      headers: auth(h.tokens.staff, { 'idempotency-key': key }),
      payload,
    });
    expect(res.statusCode).toBe(200);
  }
  return a.id;
}

/**
 * What an attacker with access to the database does: switch the append-only trigger off,
 * delete the newest `n` entries of a chain, put the trigger back.
 */
export async function removeTail(db: Db, subject: string, n: number): Promise<void> {
  const restore = await disableTrigger(db, 'audit_entries', 'audit_entries_no_delete');
  await db.run(
    'DELETE FROM audit_entries WHERE seq IN (SELECT seq FROM audit_entries WHERE subject = ? ORDER BY seq DESC LIMIT ?)',
    [subject, n],
  );
  await restore();
}
