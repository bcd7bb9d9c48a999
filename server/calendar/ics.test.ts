import ICAL from 'ical.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Appointment } from '../../shared/schemas.js';
import { emailFor } from '../notifications/render.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import { fold, paramValue, text } from './ics-format.js';
import { caldavObject, calendarFor } from './ics.js';

/**
 * Issue 12, item 14: a customer named `Zoë Ñúñez, "Q"; Jr.` broke the invite's ATTENDEE
 * line (backslash-escaped quotes inside a quoted parameter). Every body is read back with
 * ical.js, an independent parser; the raw lines are checked against RFC 5545 directly.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const NASTY = 'Zoë Ñúñez, "Q"; Jr.';
const MULTILINE = 'Ana: "the ^boss"\nsecond line, ok; fine';
const DAY = '2030-01-20';

/** RFC 5545 §3.1 on the raw bytes: CRLF everywhere and at the end, ≤ 75 octets a line, valid UTF-8 */
function expectWellFormed(ics: string) {
  expect(ics.endsWith('\r\n')).toBe(true);
  expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  for (const line of ics.slice(0, -2).split('\r\n')) {
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    expect(line).not.toContain('\uFFFD');
  }
  // quoted parameter values never hold a backslash escape (RFC 6868 uses carets instead)
  expect(ics.replace(/\r\n /g, '')).not.toMatch(/="[^"]*\\"/);
}

function parse(ics: string) {
  const comp = new ICAL.Component(ICAL.parse(ics));
  const ev = comp.getFirstSubcomponent('vevent')!;
  return { comp, ev };
}

/** A provider, service and customer whose names hold every character that breaks a line. */
async function nastyBooking() {
  h = await makeHarness();
  const admin = auth(h.tokens.admin);
  const user = await h.app.inject({
    method: 'POST',
    url: '/admin/users',
    headers: admin,
    payload: { name: NASTY, email: 'zoe@example.com' },
  });
  expect(user.statusCode).toBe(201);
  const a = await bookVia(h, (await slotsOf(h, DAY)).timeslots[3].id, { userId: user.json().id });
  const full = await h.app.inject({ method: 'GET', url: `/appointments/${a.id}`, headers: admin });
  return { id: a.id, appointment: full.json() as Appointment };
}

describe('12.14 iCalendar that every parser reads', () => {
  it('parameter values use RFC 6868 carets and are quoted when they hold : ; ,', () => {
    expect(paramValue(NASTY)).toBe(`"Zoë Ñúñez, ^'Q^'; Jr."`);
    expect(paramValue('plain name')).toBe('plain name');
    expect(paramValue('a^b\nc')).toBe('a^^b^nc');
    expect(paramValue('x:y')).toBe('"x:y"');
  });

  it('text values escape backslash, ; , and line breaks (§3.3.11), colons stay', () => {
    expect(text('a\\b; c, d: e\r\nf\ng')).toBe('a\\\\b\\; c\\, d: e\\nf\\ng');
  });

  it('folds at 75 octets without splitting a UTF-8 sequence', () => {
    const line = `SUMMARY:${'ñ'.repeat(100)}`;
    const folded = fold(line);
    const parts = folded.split('\r\n');
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(75);
    for (const p of parts.slice(1)) expect(p.startsWith(' ')).toBe(true);
    expect(parts.map((p, i) => (i ? p.slice(1) : p)).join('')).toBe(line);
    expect(fold('SHORT:x')).toBe('SHORT:x');
  });

  it('an invite keeps the attendee and organizer names intact in ical.js', async () => {
    const { appointment } = await nastyBooking();
    expect(appointment.userName).toBe(NASTY);
    const mail = emailFor(
      {
        id: 'n1',
        eventId: 'e1',
        channel: 'email',
        recipient: 'zoe@example.com',
        template: 'confirmed',
        messageId: '<e1.0@appt>',
        attempts: 0,
        payload: {
          template: 'confirmed',
          role: 'customer',
          appointment: { ...appointment, providerName: MULTILINE },
          eventId: 'e1',
          topic: 'appointment.created',
          at: Date.parse('2030-01-07T12:00:00Z'),
        },
      },
      'appt <noreply@appt.local>',
    );
    const ics = mail.icalEvent.content;
    expectWellFormed(ics);
    const { ev } = parse(ics);
    const attendee = ev.getFirstProperty('attendee')!;
    expect(attendee.getParameter('cn')).toBe(NASTY);
    expect(attendee.getFirstValue()).toBe('mailto:zoe@example.com');
    expect(ev.getFirstProperty('organizer')!.getParameter('cn')).toBe(MULTILINE);
    expect(ev.getFirstPropertyValue('summary')).toBe(`Consultation with ${MULTILINE}`);
  });

  it('GET /appointments/{id}/ics and the feed read back intact and end with CRLF', async () => {
    const { id } = await nastyBooking();
    const admin = auth(h!.tokens.admin);
    const title = 'Check-up; "full", with: notes\nand a long tail of words ñññññññññññññññññññ';
    const svc = await h!.app.inject({
      method: 'POST',
      url: '/admin/services',
      headers: admin,
      payload: { providerId: h!.ids.provider, title, durationMinutes: 30, priceCents: 1000 },
    });
    expect(svc.statusCode).toBe(201);
    const slot = (await slotsOf(h!, DAY, svc.json().id)).timeslots[10].id;
    const b = await bookVia(h!, slot, { serviceId: svc.json().id });

    const one = await h!.app.inject({ method: 'GET', url: `/appointments/${b.id}/ics`, headers: admin });
    expect(one.statusCode).toBe(200);
    expect(one.headers['content-type']).toMatch(/^text\/calendar/);
    expectWellFormed(one.body);
    expect(parse(one.body).ev.getFirstPropertyValue('summary')).toBe(`${title} with Dr. Test`);

    const feed = await h!.app.inject({
      method: 'GET',
      url: `/admin/providers/${h!.ids.provider}/feed`,
      headers: admin,
    });
    const cal = await h!.app.inject({ method: 'GET', url: feed.json().path });
    expect(cal.statusCode).toBe(200);
    expectWellFormed(cal.body);
    const events = new ICAL.Component(ICAL.parse(cal.body)).getAllSubcomponents('vevent');
    expect(events.map((e) => e.getFirstPropertyValue('uid')).sort()).toEqual([id, b.id].sort());
    expect(events.map((e) => e.getFirstPropertyValue('summary'))).toContain(`${title} with Dr. Test`);
  });

  it('CalDAV objects and exports (calendarFor) end with CRLF and parse', async () => {
    const { appointment } = await nastyBooking();
    const obj = caldavObject(appointment);
    expectWellFormed(obj);
    expect(obj).not.toContain('METHOD:');
    const many = calendarFor([appointment, appointment], {
      name: `appt ${NASTY}`,
      method: 'PUBLISH',
    }).toString();
    expectWellFormed(many);
    const comp = new ICAL.Component(ICAL.parse(many));
    // NAME / X-WR-CALNAME are TEXT (RFC 7986); ical.js leaves properties it does not know raw
    expect(many.replace(/\r\n /g, '')).toContain(`\r\nNAME:appt Zoë Ñúñez\\, "Q"\\; Jr.\r\n`);
    expect(comp.getFirstPropertyValue('x-wr-calname')).toBe('appt Zoë Ñúñez\\, "Q"\\; Jr.');
    expect(comp.getAllSubcomponents('vevent')).toHaveLength(2);
  });
});
