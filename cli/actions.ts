import { type ApiClient, ApiError, type AppointmentDetail } from '../shared/client.js';

/**
 * Cancel and reschedule as the CLI, the offline queue and bulk runs perform them. Keys are
 * chosen by the caller; these functions make a re-run safe:
 * - an applied audit entry carrying the caller's key prefix means "done before" (the
 *   response of the first run may have been lost in a crash);
 * - holds are keyed (`<key>:hold:<slot>:<n>`), so a re-run gets its own hold back instead of
 *   `slot_taken`; when that hold has lapsed, attempt n+1 takes a fresh one;
 * - the reschedule key includes the hold token, and If-Match carries the version seen, so
 *   a second move of an already-moved appointment cannot happen.
 */

export type Outcome = 'applied' | 'already';

export function appliedWithKey(d: Pick<AppointmentDetail, 'audit'>, keyPrefix: string, action?: string) {
  return d.audit.find(
    (e) =>
      e.outcome === 'applied' &&
      e.idempotencyKey !== null &&
      (e.idempotencyKey === keyPrefix || e.idempotencyKey.startsWith(`${keyPrefix}:`)) &&
      (!action || e.action === action),
  );
}

export interface CancelInput {
  appointmentId: string;
  key: string;
  version?: number | undefined;
  reason?: string | undefined;
  waiveFee?: boolean | undefined;
}

export async function doCancel(c: ApiClient, i: CancelInput, detail?: AppointmentDetail) {
  if (detail && appliedWithKey(detail, i.key, 'cancelled'))
    return {
      outcome: 'already' as Outcome,
      appointment: detail,
      feeCents: detail.feeCents ?? 0,
      refundCents: detail.refundCents ?? 0,
    };
  const r = await c.cancel(
    i.appointmentId,
    { reason: i.reason, waiveFee: i.waiveFee },
    { idempotencyKey: i.key, ifMatch: i.version },
  );
  return { outcome: (r.replayed ? 'already' : 'applied') as Outcome, ...r.data };
}

export interface RescheduleInput {
  appointmentId: string;
  key: string;
  version?: number | undefined;
  providerId: string;
  serviceId: string;
  timeslotId: string;
  userId?: string | undefined;
  reason?: string | undefined;
  /** attempts at a fresh hold when a replayed one has lapsed */
  maxHolds?: number;
}

export async function doReschedule(c: ApiClient, i: RescheduleInput, detail?: AppointmentDetail) {
  if (detail && appliedWithKey(detail, i.key, 'rescheduled'))
    return { outcome: 'already' as Outcome, appointment: detail as AppointmentDetail };
  const max = i.maxHolds ?? 3;
  for (let n = 1; ; n++) {
    const hold = await c.hold(
      {
        providerId: i.providerId,
        serviceId: i.serviceId,
        timeslotId: i.timeslotId,
        appointmentId: i.appointmentId,
        ...(i.userId ? { userId: i.userId } : {}),
      },
      `${i.key}:hold:${i.timeslotId}:${n}`,
    );
    try {
      const r = await c.reschedule(
        i.appointmentId,
        { reservationToken: hold.reservationToken, reason: i.reason },
        { idempotencyKey: `${i.key}:rs:${hold.reservationToken}`, ifMatch: i.version },
      );
      return { outcome: (r.replayed ? 'already' : 'applied') as Outcome, appointment: r.data };
    } catch (e) {
      // a hold replayed from an earlier run may have lapsed (or been released): take a new one
      const lapsed =
        e instanceof ApiError && (e.code === 'reservation_expired' || e.code === 'reservation_not_found');
      if (!lapsed || n >= max) throw e;
    }
  }
}
