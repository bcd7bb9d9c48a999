import type { Appointment } from '../../shared/schemas.js';
import { inviteIcs } from '../calendar/ics.js';
import type { Template } from './types.js';

/** A queued notification as the senders see it. */
export interface Outgoing {
  id: string;
  eventId: string;
  channel: 'email' | 'sms' | 'push';
  recipient: string;
  template: Template;
  messageId: string;
  attempts: number;
  payload: NotificationPayload;
}

export interface NotificationPayload {
  template: Template;
  role: 'customer' | 'provider';
  appointment: Appointment;
  eventId: string;
  topic: string;
  at: number;
  previous?: { start: string; end: string };
  feeCents?: number;
  refundCents?: number;
  reason?: string | null;
}

/** A local wall-clock time in the provider's zone, for the human-readable text. */
export function localTime(isoInstant: string, zone: string): string {
  return new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(isoInstant));
}

const SUBJECTS: Record<Template, string> = {
  confirmed: 'Confirmed',
  requested: 'Requested (awaiting approval)',
  rescheduled: 'Rescheduled',
  cancelled: 'Cancelled',
  reminder: 'Reminder',
  attention: 'Needs attention',
};

export function subjectFor(p: NotificationPayload): string {
  const a = p.appointment;
  return `${SUBJECTS[p.template]}: ${a.serviceTitle} with ${a.providerName}, ${localTime(a.start, a.timezone)}`;
}

/**
 * Someone's free text, set apart as a quotation: every line behind `> ` and in quotes, so a
 * reason cannot pass itself off as a line of ours ("Fee: 0.00", "Call us at …").
 */
function quoted(text: string): string[] {
  const clean = text.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ' ').slice(0, 500);
  const rows = clean.split(/\r?\n/).filter((l) => l.trim() !== '');
  return rows.map((l, i) => `> ${i === 0 ? '“' : ''}${l}${i === rows.length - 1 ? '”' : ''}`);
}

/** Plain text shared by email, SMS and push. Rendered from the payload snapshot, so a retry sends the same words. */
export function textFor(p: NotificationPayload): string {
  const a = p.appointment;
  const when = `${localTime(a.start, a.timezone)} (${a.timezone})`;
  const lines = [`${SUBJECTS[p.template]}: ${a.serviceTitle} with ${a.providerName}`, `When: ${when}`];
  if (p.template === 'rescheduled' && p.previous)
    lines.push(`Previously: ${localTime(p.previous.start, a.timezone)}`);
  if (p.template === 'cancelled' && p.feeCents !== undefined)
    lines.push(
      `Fee: ${(p.feeCents / 100).toFixed(2)} ${a.currency}; refund: ${((p.refundCents ?? 0) / 100).toFixed(2)} ${a.currency}`,
    );
  if (p.template === 'attention') lines.push(`Reason: ${a.attentionReason ?? 'external calendar conflict'}`);
  if (p.reason)
    lines.push('Reason given with the request (their own words, not checked by us):', ...quoted(p.reason));
  lines.push(`Customer: ${a.userName}`, `Reference: ${a.id}`);
  return `${lines.join('\n')}\n`;
}

/** The mail for one notification: stable Message-ID and Date, an iCalendar invite part. */
export function emailFor(n: Outgoing, from: string) {
  const a = n.payload.appointment;
  const organizerEmail = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const invite = inviteIcs(a, {
    organizer: { name: a.providerName, email: organizerEmail },
    attendees: [{ name: n.payload.role === 'customer' ? a.userName : a.providerName, email: n.recipient }],
  });
  return {
    from,
    to: n.recipient,
    subject: subjectFor(n.payload),
    text: textFor(n.payload),
    messageId: n.messageId,
    date: new Date(n.payload.at),
    headers: { 'X-Appt-Event': n.eventId, 'X-Appt-Appointment': a.id },
    icalEvent: { method: invite.method, filename: 'invite.ics', content: invite.ics },
  };
}
