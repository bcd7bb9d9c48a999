import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { Appointment } from '../../shared/schemas.js';

/**
 * iCalendar for one or many appointments. UID = appointment id (stable across reschedules),
 * SEQUENCE = version, times in UTC with the provider's zone named in X-WR-TIMEZONE and the
 * description. A cancelled appointment is STATUS:CANCELLED (METHOD:CANCEL when `method`
 * says so, for invites).
 */
export function calendarFor(
  items: Appointment[],
  opts: { name?: string; method?: 'REQUEST' | 'CANCEL' | 'PUBLISH'; timezone?: string } = {},
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
    });
  }
  return cal;
}

export function appointmentIcs(a: Appointment, method?: 'REQUEST' | 'CANCEL' | 'PUBLISH'): string {
  return calendarFor([a], {
    method: method ?? (a.status === 'cancelled' ? 'CANCEL' : 'PUBLISH'),
    timezone: a.timezone,
  }).toString();
}
