import type { Appointment } from './schemas.js';
import { contentLine, icsDocument, paramValue, text } from './ics-format.js';

export type IcsMethod = 'REQUEST' | 'CANCEL' | 'PUBLISH';

export interface InviteParties {
  organizer?: { name: string; email: string };
  attendees?: { name?: string; email: string }[];
}

/** 2030-01-20T15:00:00.000Z → 20300120T150000Z (RFC 5545 §3.3.5, UTC form) */
function utc(iso: string | number): string {
  return new Date(iso)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** A calendar user address: a mailto: URI (RFC 5545 §3.3.3); nothing in it may end the value. */
function mailto(email: string): string {
  return `mailto:${encodeURI(email).replace(/[;,]/g, encodeURIComponent)}`;
}

function party(name: 'ORGANIZER' | 'ATTENDEE', p: { name?: string; email: string }, extra: string[] = []) {
  const params = [...extra, ...(p.name ? [`CN=${paramValue(p.name)}`] : [])];
  return contentLine(`${name}${params.map((x) => `;${x}`).join('')}`, mailto(p.email));
}

/**
 * iCalendar for one or many appointments. UID = appointment id (stable across reschedules),
 * SEQUENCE = version, times in UTC with the provider's zone named in X-WR-TIMEZONE and the
 * description. A cancelled appointment is STATUS:CANCELLED (METHOD:CANCEL when `method`
 * says so, for invites). CalDAV objects carry no METHOD at all (RFC 4791 §4.1), so
 * `method` is optional.
 *
 * Written by hand rather than with ical-generator: its quoted parameters escaped `"` with
 * a backslash (not iCalendar; python icalendar and khal dropped the attendee, ical.js cut
 * the name), its folding counted characters rather than octets, and the body did not end
 * with CRLF. The rules live in ics-format.ts.
 */
export function calendarFor(
  items: Appointment[],
  opts: { name?: string; method?: IcsMethod; timezone?: string } & InviteParties = {},
): { toString(): string } {
  const name = opts.name ?? 'appt';
  const head = [
    contentLine('VERSION', '2.0'),
    contentLine('PRODID', '-//appt//appt//EN'),
    ...(opts.method ? [contentLine('METHOD', opts.method)] : []),
    contentLine('NAME', text(name)),
    contentLine('X-WR-CALNAME', text(name)),
    ...(opts.timezone ? [contentLine('X-WR-TIMEZONE', text(opts.timezone))] : []),
  ];
  const events = items.map((a) => {
    const cancelled = a.status === 'cancelled';
    return [
      'BEGIN:VEVENT',
      contentLine('UID', text(a.id)),
      contentLine('SEQUENCE', String(a.version)),
      contentLine('DTSTAMP', utc(a.updatedAt)),
      contentLine('DTSTART', utc(a.start)),
      contentLine('DTEND', utc(a.end)),
      contentLine('SUMMARY', text(`${a.serviceTitle} with ${a.providerName}`)),
      contentLine('DESCRIPTION', text(`Appointment ${a.id} (${a.status}); local zone ${a.timezone}`)),
      contentLine('STATUS', cancelled ? 'CANCELLED' : 'CONFIRMED'),
      ...(opts.organizer ? [party('ORGANIZER', opts.organizer)] : []),
      ...(opts.attendees ?? []).map((p) =>
        party('ATTENDEE', p, ['ROLE=REQ-PARTICIPANT', `PARTSTAT=${cancelled ? 'DECLINED' : 'ACCEPTED'}`]),
      ),
      contentLine('X-APPT-TIMEZONE', text(a.timezone)),
      'END:VEVENT',
    ];
  });
  const body = icsDocument('VCALENDAR', [...head, ...events.flat()]);
  return { toString: () => body };
}

export function appointmentIcs(a: Appointment, method?: IcsMethod): string {
  return calendarFor([a], {
    method: method ?? (a.status === 'cancelled' ? 'CANCEL' : 'PUBLISH'),
    timezone: a.timezone,
  }).toString();
}

/**
 * The invite an email carries: METHOD:REQUEST, or METHOD:CANCEL once the appointment is
 * cancelled. RFC 5546 wants an ORGANIZER on both.
 */
export function inviteIcs(
  a: Appointment,
  parties: InviteParties,
): { method: 'REQUEST' | 'CANCEL'; ics: string } {
  const method = a.status === 'cancelled' ? 'CANCEL' : 'REQUEST';
  return { method, ics: calendarFor([a], { method, timezone: a.timezone, ...parties }).toString() };
}

/** The object stored on a CalDAV server: one VEVENT, no METHOD. */
export function caldavObject(a: Appointment): string {
  return calendarFor([a], { timezone: a.timezone }).toString();
}
