import ical, {
  ICalAttendeeRole,
  ICalAttendeeStatus,
  ICalCalendarMethod,
  ICalEventStatus,
} from 'ical-generator';
import type { Appointment } from '../../shared/schemas.js';

export type IcsMethod = 'REQUEST' | 'CANCEL' | 'PUBLISH';

export interface InviteParties {
  organizer?: { name: string; email: string };
  attendees?: { name?: string; email: string }[];
}

/**
 * iCalendar for one or many appointments. UID = appointment id (stable across reschedules),
 * SEQUENCE = version, times in UTC with the provider's zone named in X-WR-TIMEZONE and the
 * description. A cancelled appointment is STATUS:CANCELLED (METHOD:CANCEL when `method`
 * says so, for invites). CalDAV objects carry no METHOD at all (RFC 4791 §4.1), so
 * `method` is optional.
 */
export function calendarFor(
  items: Appointment[],
  opts: { name?: string; method?: IcsMethod; timezone?: string } & InviteParties = {},
) {
  const cal = ical({
    name: opts.name ?? 'appt',
    prodId: { company: 'appt', product: 'appt', language: 'EN' },
  });
  if (opts.method) cal.method(ICalCalendarMethod[opts.method]);
  if (opts.timezone) cal.x([{ key: 'X-WR-TIMEZONE', value: opts.timezone }]);
  for (const a of items) {
    cal.createEvent({
      id: a.id,
      sequence: a.version,
      start: new Date(a.start),
      end: new Date(a.end),
      stamp: new Date(a.updatedAt),
      summary: `${a.serviceTitle} with ${a.providerName}`,
      description: `Appointment ${a.id} (${a.status}); local zone ${a.timezone}`,
      status: a.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
      x: [{ key: 'X-APPT-TIMEZONE', value: a.timezone }],
      ...(opts.organizer ? { organizer: opts.organizer } : {}),
      ...(opts.attendees
        ? {
            attendees: opts.attendees.map((p) => ({
              email: p.email,
              name: p.name,
              role: ICalAttendeeRole.REQ,
              status: a.status === 'cancelled' ? ICalAttendeeStatus.DECLINED : ICalAttendeeStatus.ACCEPTED,
            })),
          }
        : {}),
    });
  }
  return cal;
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
