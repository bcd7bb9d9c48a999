import { readdirSync, readFileSync } from 'node:fs';
import { stmt } from '../db/open.js';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cancelVia, jobDeps, rescheduleVia } from '../jobs/testing.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import { dispatchOutbox, queueReminders } from './dispatch.js';
import { closeTransports, drainNotifications, transportsFrom } from './send.js';
import { calendarParts, headerOf, type SmtpSink, startSmtpSink } from './testing.js';

let h: Harness;
let sink: SmtpSink;
beforeEach(async () => {
  sink = await startSmtpSink();
  h = await makeHarness({ config: { smtpUrl: sink.url } });
});
afterEach(async () => {
  await h.close();
  await sink.close();
});

const DAY = '2030-01-08';

function vevent(ics: string) {
  const comp = new ICAL.Component(ICAL.parse(ics));
  const ev = comp.getFirstSubcomponent('vevent')!;
  return {
    method: comp.getFirstPropertyValue('method'),
    uid: ev.getFirstPropertyValue('uid'),
    sequence: Number(ev.getFirstPropertyValue('sequence')),
    status: ev.getFirstPropertyValue('status'),
    start: (ev.getFirstPropertyValue('dtstart') as ICAL.Time).toJSDate().toISOString(),
    zone: comp.getFirstPropertyValue('x-wr-timezone'),
  };
}

async function deliver() {
  const deps = jobDeps(h);
  const d = await dispatchOutbox(deps);
  const t = transportsFrom(deps, { concurrency: 2 });
  try {
    const s = await drainNotifications(deps, t, { concurrency: 2 });
    return { d, s };
  } finally {
    closeTransports(t);
  }
}

describe('email notifications through a real SMTP server', () => {
  it('one email per event and recipient, each with an invite: stable UID, rising SEQUENCE, CANCEL at the end', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[2].id);
    const first = await deliver();
    expect(first.d.events).toBeGreaterThanOrEqual(1);
    expect(first.s.sent).toBe(2);
    const moved = await rescheduleVia(h, a.id, slots[6].id);
    await deliver();
    const cancelled = await cancelVia(h, a.id);
    await deliver();
    // running the dispatcher and the sender again changes nothing
    const again = await deliver();
    expect(again.s.claimed).toBe(0);

    expect(sink.messages).toHaveLength(6);
    const ids = sink.messages.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(6);
    for (const id of ids) expect(id).toMatch(/^<[\w-]+\.[0-9a-f]{16}@appt>$/);
    const byRecipient = (to: string) => sink.messages.filter((m) => m.to.includes(to));
    for (const who of ['alice@example.com', 'doc@example.com']) {
      const mails = byRecipient(who);
      expect(mails).toHaveLength(3);
      const invites = mails.map((m) => {
        const parts = calendarParts(m.raw);
        expect(parts).toHaveLength(1);
        return { part: parts[0], ev: vevent(parts[0].ics), subject: headerOf(m.raw, 'subject') };
      });
      expect(invites.map((i) => i.ev.uid)).toEqual([a.id, a.id, a.id]);
      expect(invites.map((i) => i.ev.sequence)).toEqual([
        a.version,
        moved.version,
        cancelled.appointment.version,
      ]);
      expect(invites[0].ev.sequence).toBeLessThan(invites[1].ev.sequence);
      expect(invites[1].ev.sequence).toBeLessThan(invites[2].ev.sequence);
      expect(invites.map((i) => i.ev.method)).toEqual(['REQUEST', 'REQUEST', 'CANCEL']);
      expect(invites.map((i) => i.part.method)).toEqual(['REQUEST', 'REQUEST', 'CANCEL']);
      expect(invites[2].ev.status).toBe('CANCELLED');
      expect(invites[0].ev.start).toBe(slots[2].start);
      expect(invites[1].ev.start).toBe(slots[6].start);
      expect(invites[0].ev.zone).toBe('America/New_York');
      expect(invites.map((i) => i.subject?.split(':')[0])).toEqual(['Confirmed', 'Rescheduled', 'Cancelled']);
    }
    // the appointment shows the notification status
    const shown = await h.app.inject({
      method: 'GET',
      url: `/appointments/${a.id}`,
      headers: auth(h.tokens.staff),
    });
    const notes = shown.json().notifications as { status: string; channel: string; template: string }[];
    expect(notes).toHaveLength(6);
    expect(notes.every((n) => n.status === 'sent' && n.channel === 'email')).toBe(true);
  });

  it('the same event dispatched twice, concurrently from two handles, queues one email per recipient', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    await bookVia(h, slots[1].id);
    const { openDatabase } = await import('../db/open.js');
    const other = await openDatabase(h.ctx.config, { migrate: false });
    try {
      const r1 = await dispatchOutbox(jobDeps(h));
      const r2 = await dispatchOutbox({ ...jobDeps(h), db: other });
      expect(r1.notifications + r2.notifications).toBe(2);
      expect(await stmt(h.ctx.db, 'SELECT count(*) AS n FROM notifications').get()).toEqual({ n: 2 });
      // rows re-marked pending (as if a crash lost the "done") still produce no second email
      await stmt(h.ctx.db, `UPDATE outbox SET status = 'pending'`).run();
      expect((await dispatchOutbox({ ...jobDeps(h), db: other })).notifications).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('a malformed outbox event is retried with backoff and dead-lettered, others flow on', async () => {
    await stmt(
      h.ctx.db,
      `INSERT INTO outbox (id, topic, payload, status, attempts, next_attempt_at, created_at) VALUES ('bad', 'booking.confirmed', '{}', 'pending', 0, ?, ?)`,
    ).run(h.clock.now(), h.clock.now());
    const retry = { maxAttempts: 2, baseDelayMs: 1000, maxDelayMs: 10_000 };
    expect((await dispatchOutbox(jobDeps(h), { retry })).failed).toBe(1);
    const row = async () =>
      (await stmt(
        h.ctx.db,
        `SELECT status, attempts, last_error FROM outbox WHERE id = 'bad'`,
      ).get()) as Record<string, unknown>;
    expect(await row()).toMatchObject({ status: 'pending', attempts: 1 });
    expect(String((await row()).last_error)).toMatch(/no appointment/);
    expect((await dispatchOutbox(jobDeps(h), { retry })).failed).toBe(0); // not due yet
    h.clock.advance(1000);
    await dispatchOutbox(jobDeps(h), { retry });
    expect(await row()).toMatchObject({ status: 'dead', attempts: 2 });
  });

  it('SMTP refusals: 4xx retried with backoff, 5xx dead-lettered at once; last_error kept and shown', async () => {
    await sink.close();
    sink = await startSmtpSink({
      reject: (to) => (to.includes('doc@example.com') ? 550 : to.includes('alice@example.com') ? 451 : null),
    });
    h.ctx.config.smtpUrl = sink.url;
    const a = await bookVia(h, (await slotsOf(h, DAY)).timeslots[3].id);
    const r = await deliver();
    expect(r.s).toMatchObject({ sent: 0, retried: 1, failed: 1 });
    const shown = await h.app.inject({
      method: 'GET',
      url: `/appointments/${a.id}`,
      headers: auth(h.tokens.staff),
    });
    const notes = shown.json().notifications as {
      recipient: string;
      status: string;
      attempts: number;
      lastError: string;
    }[];
    const doc = notes.find((n) => n.recipient === 'doc@example.com')!;
    const alice = notes.find((n) => n.recipient === 'alice@example.com')!;
    expect(doc).toMatchObject({ status: 'failed', attempts: 1 });
    expect(doc.lastError).toMatch(/550/);
    expect(alice).toMatchObject({ status: 'queued', attempts: 1 });
    expect(alice.lastError).toMatch(/451/);
  });

  it('without an SMTP URL each message lands in <data-dir>/mail/<message-id>.eml', async () => {
    h.ctx.config.smtpUrl = undefined;
    await bookVia(h, (await slotsOf(h, DAY)).timeslots[4].id);
    const r = await deliver();
    expect(r.s.sent).toBe(2);
    const files = readdirSync(join(h.dir, 'mail')).sort();
    expect(files).toHaveLength(2);
    for (const f of files) {
      const raw = readFileSync(join(h.dir, 'mail', f), 'utf8');
      expect(`${headerOf(raw, 'message-id')!.replace(/^<|>$/g, '')}.eml`).toBe(f);
      expect(vevent(calendarParts(raw)[0].ics).method).toBe('REQUEST');
    }
  });

  it('the 24 h reminder is queued once per appointment and start time', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[0].id);
    await deliver();
    const deps = jobDeps(h);
    expect(await queueReminders(deps)).toBe(0); // 26 h ahead
    h.clock.set(Date.parse(a.start) - 23 * 3_600_000);
    expect(await queueReminders(deps)).toBe(2);
    expect(await queueReminders(deps)).toBe(0);
    const r = await deliver();
    expect(r.s.sent).toBe(2);
    const reminders = sink.messages.filter((m) => headerOf(m.raw, 'subject')?.startsWith('Reminder'));
    expect(reminders).toHaveLength(2);
    expect(reminders.every((m) => m.messageId?.startsWith(`<reminder-${a.id}-`))).toBe(true);
    // far-away appointments get no reminder yet
    const later = await bookVia(h, (await slotsOf(h, '2030-01-20')).timeslots[0].id);
    expect(await queueReminders(deps)).toBe(0);
    h.clock.set(Date.parse(later.start) - 23 * 3_600_000);
    expect(await queueReminders(deps)).toBe(2);
  });
});
