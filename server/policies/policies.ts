import type { CancellationQuote } from '../../shared/schemas.js';
import { formatMoney, HOUR, iso, MINUTE } from '../../shared/time.js';

/** The cancellation and reschedule rules, as pure functions of the service settings and `now`. */
export interface PolicyInput {
  start: number;
  priceCents: number;
  currency: string;
  freeUntilHoursBefore: number | null;
  feeCents: number | null;
  minNoticeMinutes: number;
}

export function refundableUntil(p: PolicyInput): number {
  return p.start - (p.freeUntilHoursBefore ?? 0) * HOUR;
}

export function cancellationPolicyText(p: PolicyInput): string {
  if (p.freeUntilHoursBefore === null || !p.feeCents)
    return 'Free cancellation until the appointment starts.';
  const fee = formatMoney(Math.min(p.feeCents, p.priceCents), p.currency);
  return `Free cancellation until ${p.freeUntilHoursBefore} h before the start; after that a fee of ${fee} applies.`;
}

export function rescheduleText(minNoticeMinutes: number): string {
  return minNoticeMinutes > 0
    ? `Moves need at least ${minNoticeMinutes} minutes' notice before the new time.`
    : 'Moves are allowed to any free slot that has not started.';
}

/** Fee and refund if cancelled at `now`. The fee never exceeds the price. */
export function quote(p: PolicyInput, now: number): { feeCents: number; refundCents: number } {
  const inFreeWindow = now < refundableUntil(p);
  const fee = inFreeWindow || p.freeUntilHoursBefore === null ? 0 : Math.min(p.feeCents ?? 0, p.priceCents);
  return { feeCents: fee, refundCents: p.priceCents - fee };
}

export function cancellationQuote(appointmentId: string, p: PolicyInput, now: number): CancellationQuote {
  const q = quote(p, now);
  return {
    appointmentId,
    priceCents: p.priceCents,
    feeCents: q.feeCents,
    refundCents: q.refundCents,
    currency: p.currency,
    refundableUntil: iso(refundableUntil(p)),
    policy: cancellationPolicyText(p),
    asOf: iso(now),
  };
}

export function meetsMinNotice(newStart: number, minNoticeMinutes: number, now: number): boolean {
  return newStart >= now + minNoticeMinutes * MINUTE;
}
