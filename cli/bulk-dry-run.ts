import type { QueryClient } from '@tanstack/query-core';
import type { ApiClient, AppointmentDetail } from '../shared/client.js';
import { ERROR_STATUS } from '../shared/errors.js';
import { keys, queryOptions } from '../shared/query.js';
import { ACTIVE } from '../shared/schemas.js';
import { appliedWithKey } from './actions.js';
import type { PlanItem } from './bulk-plan.js';
import { exitForProblem } from './exit-codes.js';

/**
 * What `--dry-run` checks, item by item, in the order the server checks the real request:
 * done before with this plan's key (→ already), active (`appointment_not_active`), not
 * started (`appointment_started`), the target slot exists and is free (`slot_taken`), the
 * minimum notice before the new time (`policy_violation`), and the fee the cancel would
 * charge now (inside the free-cancellation window or not). It writes nothing.
 */

export interface DryRunVerdict {
  result: 'dry-run' | 'already';
  customer: string;
  start: string;
  timezone: string;
  to?: string | undefined;
  toStart?: string | undefined;
  feeCents?: number | undefined;
  refundCents?: number | undefined;
  currency?: string | undefined;
  insideFeeWindow?: boolean | undefined;
  /** the refusal the real run would get, and the exit code that refusal gives */
  wouldFail?: { code: string; status: number; detail: string; exitCode: number } | undefined;
}

function fail(
  code: keyof typeof ERROR_STATUS | 'invalid',
  detail: string,
): NonNullable<DryRunVerdict['wouldFail']> {
  const status = code === 'invalid' ? 0 : ERROR_STATUS[code];
  return { code, status, detail, exitCode: exitForProblem(code, status) };
}

/** The slot a ts_ id names: the id carries `serviceId|start` (the server re-validates it). */
export function slotStart(timeslotId: string): number | undefined {
  if (!timeslotId.startsWith('ts_')) return undefined;
  const raw = Buffer.from(timeslotId.slice(3), 'base64url').toString('utf8');
  const n = Number(raw.slice(raw.lastIndexOf('|') + 1));
  return Number.isSafeInteger(n) ? n : undefined;
}

function dayIn(ms: number, zone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(ms);
}

export async function dryRunItem(
  c: ApiClient,
  d: AppointmentDetail,
  it: PlanItem,
  key: string,
  o: { waiveFee?: boolean | undefined },
  qc: QueryClient,
  now: number,
): Promise<DryRunVerdict> {
  const base = { customer: d.userName, start: d.start, timezone: d.timezone };
  const action = it.action === 'cancel' ? 'cancelled' : 'rescheduled';
  if (appliedWithKey(d, key, action)) return { ...base, result: 'already' };
  const v: DryRunVerdict = { ...base, result: 'dry-run' };
  if (!(ACTIVE as readonly string[]).includes(d.status))
    return { ...v, wouldFail: fail('appointment_not_active', `appointment is ${d.status}`) };
  if (Date.parse(d.start) <= now)
    return { ...v, wouldFail: fail('appointment_started', 'the appointment has already started') };
  if (it.action === 'cancel') {
    const q = await c.cancellationQuote(d.id);
    return {
      ...v,
      feeCents: o.waiveFee ? 0 : q.feeCents,
      refundCents: o.waiveFee ? q.priceCents : q.refundCents,
      currency: q.currency,
      insideFeeWindow: q.feeCents > 0,
    };
  }
  const to = it.to ?? 'next-available';
  if (to === 'next-available') {
    const alts = await c.alternatives(d.id, 'next', undefined, 1);
    const a = alts.items[0];
    if (!a) return { ...v, wouldFail: fail('invalid', 'no free slot ahead') };
    return { ...v, to: a.timeslotId, toStart: a.start };
  }
  const at = to.startsWith('ts_') ? slotStart(to) : Date.parse(to);
  if (at === undefined || Number.isNaN(at))
    return { ...v, to, wouldFail: fail('validation', `not a timeslot: ${to}`) };
  const notice = d.reschedulePolicy.minNoticeMinutes;
  if (at - now < notice * 60_000)
    return {
      ...v,
      to,
      toStart: new Date(at).toISOString(),
      wouldFail: fail(
        'policy_violation',
        at <= now
          ? `the new time ${new Date(at).toISOString()} is in the past`
          : `moves need ${notice} minutes' notice before the new time (${new Date(at).toISOString()})`,
      ),
    };
  const day = dayIn(at, d.timezone);
  const av = await qc.fetchQuery(
    queryOptions(keys.availability(d.providerId, d.serviceId, day), () =>
      c.availability(d.providerId, d.serviceId, day),
    ),
  );
  const slot = av.timeslots.find((s) => (to.startsWith('ts_') ? s.id === to : Date.parse(s.start) === at));
  if (!slot)
    return {
      ...v,
      to,
      toStart: new Date(at).toISOString(),
      wouldFail: fail('invalid', `no ${d.serviceTitle} slot starts at ${new Date(at).toISOString()}`),
    };
  const r = { ...v, to: slot.id, toStart: slot.start };
  // its own current slot shows as booked, by itself: moving there is not a conflict
  if (slot.status !== 'available' && Date.parse(slot.start) !== Date.parse(d.start))
    return { ...r, wouldFail: fail('slot_taken', `that timeslot is ${slot.status}`) };
  return r;
}
