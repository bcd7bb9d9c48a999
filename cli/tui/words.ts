import { DateTime } from 'luxon';
import type { Appointment, AppointmentDetail, AuditEntry } from '../../shared/schemas.js';
import { formatMoney } from '../../shared/time.js';

/**
 * What the screens say in words: statuses, who did something, what happened to an
 * appointment while the desk was looking at it. One convention for times: local time in
 * the provider's zone followed by the zone's abbreviation ("10:52 NZDT").
 */

export const ACTIVE_STATUSES = ['upcoming', 'confirmed', 'rescheduled'] as const;

export const isActive = (a: Pick<Appointment, 'status'>) =>
  (ACTIVE_STATUSES as readonly string[]).includes(a.status);

export const hasStarted = (a: Pick<Appointment, 'start'>, now: number) => Date.parse(a.start) <= now;

/** One spelling for every status on screen: `no-show`, never `no_show`. */
export const statusWord = (s: string) => s.replace('_', '-');

/** Local time with its zone abbreviation, the one time convention of the TUI. */
export function zoned(iso: string, zone: string, fmt = 'ccc yyyy-MM-dd HH:mm'): string {
  const d = DateTime.fromISO(iso, { zone });
  return `${d.toFormat(fmt)} ${d.toFormat('ZZZZ')}`;
}

/** The short name of a zone at an instant ("NZDT", "GMT+1"), for group headers. */
export const zoneAbbr = (zone: string, at: number) => DateTime.fromMillis(at, { zone }).toFormat('ZZZZ');

/**
 * The actor in words: "demo front desk, staff" for a token, the customer's name for a user,
 * "system" for the system; the id when the server did not send a name (older servers).
 */
export function actorWords(
  actor: Pick<AuditEntry['actor'], 'id' | 'type'> & Partial<AuditEntry['actor']>,
): string {
  const a = actor;
  const role = a.role ?? (a.type === 'user' ? null : a.type);
  if (a.type === 'system') return 'system';
  if (a.name) return role && a.type !== 'user' ? `${a.name}, ${role}` : a.name;
  return role ? `${a.id} (${role})` : a.id;
}

const ACTION_WORDS: Record<string, string> = {
  cancelled: 'cancelled',
  rescheduled: 'moved',
  confirmed: 'confirmed',
  completed: 'completed',
  no_show: 'marked no-show',
  created: 'booked',
  attention_cleared: 'attention cleared',
};

/**
 * Why an action on an appointment no longer applies, from its fresh details: "Already
 * cancelled by demo front desk at 10:52 NZDT" — the last applied change in the audit names
 * who did it and when. Falls back to the status alone when the audit has nothing to say.
 */
export function describeChange(d: AppointmentDetail, seenVersion: number | undefined): string {
  const last = [...d.audit].reverse().find((e) => e.outcome === 'applied');
  const who = last ? ` by ${actorWords(last.actor)} at ${zoned(last.timestamp, d.timezone, 'HH:mm')}` : '';
  if (!isActive(d)) {
    const word = ACTION_WORDS[d.status] ?? statusWord(d.status);
    return `Already ${word}${last && last.action === d.status ? who : ''}`;
  }
  if (last?.action === 'rescheduled' && last.newSlot)
    return `Moved${who} to ${zoned(last.newSlot.start, d.timezone)}; look again before acting`;
  const changed = seenVersion !== undefined && d.version !== seenVersion ? ' changed meanwhile' : ' changed';
  return `This appointment${changed}${last ? ` (${ACTION_WORDS[last.action] ?? last.action}${who})` : ''}; the screen shows it now`;
}

/**
 * A move into the fee window says so before confirming: from the new start, a cancel later
 * than `freeUntilHoursBefore` hours before it costs the fee.
 */
export function feeWindowWarning(a: Appointment, newStart: string, now: number): string | null {
  const p = a.cancellationPolicy;
  if (!p.feeCents) return null;
  const freeUntil = Date.parse(newStart) - p.freeUntilHoursBefore * 3600_000;
  if (now < freeUntil) return null;
  return `inside the ${p.freeUntilHoursBefore} h free-cancellation window: a later cancel costs ${formatMoney(p.feeCents, a.currency)}`;
}
