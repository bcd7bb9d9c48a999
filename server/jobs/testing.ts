import { auth, type Harness } from '../testing/harness.js';
import type { JobDeps } from '../notifications/types.js';

/** Test helpers for the job modules: the harness's context as job deps, and API moves. */
export function jobDeps(h: Harness): JobDeps {
  return { db: h.ctx.db, clock: h.ctx.clock, config: h.ctx.config, logger: h.ctx.logger };
}

let n = 0;
export async function rescheduleVia(h: Harness, id: string, timeslotId: string, token = h.tokens.staff) {
  const hold = await h.app.inject({
    method: 'POST',
    url: '/reservations',
    headers: auth(token),
    payload: { providerId: h.ids.provider, serviceId: h.ids.service, timeslotId, appointmentId: id },
  });
  if (hold.statusCode !== 201) throw new Error(`hold ${hold.statusCode}: ${hold.body}`);
  const r = await h.app.inject({
    method: 'POST',
    url: `/appointments/${id}/reschedule`,
    headers: auth(token, { 'idempotency-key': `jobs-mv-${++n}` }),
    payload: { reservationToken: hold.json().reservationToken, reason: 'test move' },
  });
  if (r.statusCode !== 200) throw new Error(`reschedule ${r.statusCode}: ${r.body}`);
  return r.json() as { id: string; version: number; start: string; status: string };
}

export async function cancelVia(h: Harness, id: string, token = h.tokens.staff) {
  const r = await h.app.inject({
    method: 'POST',
    url: `/appointments/${id}/cancel`,
    headers: auth(token, { 'idempotency-key': `jobs-cx-${++n}` }),
    payload: { reason: 'test cancel' },
  });
  if (r.statusCode !== 200) throw new Error(`cancel ${r.statusCode}: ${r.body}`);
  return r.json() as { appointment: { id: string; version: number; status: string } };
}
