import ICAL from 'ical.js';
import { stmt } from '../db/open.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportIcs } from '../calendar/feed.js';
import { jobDeps } from '../jobs/testing.js';
import { dispatchOutbox } from '../notifications/dispatch.js';
import { closeTransports, drainNotifications, transportsFrom } from '../notifications/send.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import { signatureHeader } from './signature.js';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness({ config: { webhookSecret: 'whsec_test' } });
});
afterEach(async () => {
  await h.close();
});

const DAY = '2030-01-08';

function post(
  url: string,
  body: unknown,
  opts: { secret?: string; at?: number; header?: string | null } = {},
) {
  const raw = JSON.stringify(body);
  const header =
    opts.header === undefined
      ? signatureHeader(opts.secret ?? 'whsec_test', raw, opts.at ?? h.clock.now())
      : opts.header;
  return h.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...(header === null ? {} : { 'appt-signature': header }) },
    payload: raw,
  });
}

describe('signed webhooks', () => {
  it('bad signature 401, stale 401, replay 409 — all problem+json', async () => {
    const body = { providerId: h.ids.provider, busy: [], removed: [] };
    const wrong = await post('/webhooks/calendar', body, { secret: 'not-the-secret' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(wrong.json().code).toBe('bad_signature');
    const missing = await post('/webhooks/calendar', body, { header: null });
    expect([missing.statusCode, missing.json().code]).toEqual([401, 'bad_signature']);
    const garbage = await post('/webhooks/calendar', body, { header: 't=abc,v1=zz' });
    expect([garbage.statusCode, garbage.json().code]).toEqual([401, 'bad_signature']);
    // a right signature over other bytes (the body re-serialised with a space) is wrong
    const raw = JSON.stringify(body);
    const tampered = await h.app.inject({
      method: 'POST',
      url: '/webhooks/calendar',
      headers: {
        'content-type': 'application/json',
        'appt-signature': signatureHeader('whsec_test', raw, h.clock.now()),
      },
      payload: raw.replace(':', ': '),
    });
    expect([tampered.statusCode, tampered.json().code]).toEqual([401, 'bad_signature']);
    const stale = await post('/webhooks/calendar', body, { at: h.clock.now() - 5 * 60_000 - 1000 });
    expect([stale.statusCode, stale.json().code]).toEqual([401, 'stale_signature']);
    const future = await post('/webhooks/calendar', body, { at: h.clock.now() + 6 * 60_000 });
    expect([future.statusCode, future.json().code]).toEqual([401, 'stale_signature']);
    const header = signatureHeader('whsec_test', raw, h.clock.now() - 4 * 60_000);
    const ok = await post('/webhooks/calendar', body, { header });
    expect(ok.statusCode).toBe(200);
    const replay = await post('/webhooks/calendar', body, { header });
    expect([replay.statusCode, replay.json().code]).toEqual([409, 'replayed']);
    // signed but invalid bodies are 400 validation; unknown provider 404
    const invalid = await post('/webhooks/calendar', { providerId: h.ids.provider });
    expect([invalid.statusCode, invalid.json().code]).toEqual([400, 'validation']);
    const notJson = await h.app.inject({
      method: 'POST',
      url: '/webhooks/calendar',
      headers: {
        'content-type': 'application/json',
        'appt-signature': signatureHeader('whsec_test', '{nope', h.clock.now()),
      },
      payload: '{nope',
    });
    expect([notJson.statusCode, notJson.json().code]).toEqual([400, 'validation']);
    const unknown = await post('/webhooks/calendar', { providerId: 'nope', busy: [], removed: [] });
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'not_found']);
    const backwards = await post('/webhooks/calendar', {
      providerId: h.ids.provider,
      busy: [{ externalId: 'x', start: '2030-01-08T15:00:00Z', end: '2030-01-08T14:00:00Z' }],
      removed: [],
    });
    expect([backwards.statusCode, backwards.json().code]).toEqual([400, 'validation']);
  });

  it('a busy block makes slots blocked, flags the colliding appointment (not cancelled); removal frees the slots', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[4].id); // 16:00Z–16:30Z
    const events: string[] = [];
    h.ctx.bus.subscribe((e) => events.push(e.topic));
    const r = await post('/webhooks/calendar', {
      providerId: h.ids.provider,
      busy: [{ externalId: 'gcal-1', start: slots[3].start, end: slots[5].end }],
      removed: [],
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ providerId: h.ids.provider, upserted: 1, removed: 0, flagged: [a.id] });
    expect(events).toContain('availability.changed');
    expect(events).toContain('booking.updated');
    const after = (await slotsOf(h, DAY)).timeslots;
    expect(after[3].status).toBe('blocked');
    expect(after[4].status).toBe('booked');
    expect(after[5].status).toBe('blocked');
    expect(after[6].status).toBe('available');
    const shown = (
      await h.app.inject({ method: 'GET', url: `/appointments/${a.id}`, headers: auth(h.tokens.staff) })
    ).json();
    expect(shown).toMatchObject({ status: 'confirmed', needsAttention: true });
    expect(shown.attentionReason).toMatch(/gcal-1/);
    // the provider is told by email; the customer is not
    await dispatchOutbox(jobDeps(h));
    const notes = await stmt(
      h.ctx.db,
      `SELECT recipient, template FROM notifications WHERE template = 'attention'`,
    ).all();
    expect(notes).toEqual([{ recipient: 'doc@example.com', template: 'attention' }]);
    // same block again (a new delivery, so a new signature): nothing changes
    h.clock.advance(1000);
    const same = await post('/webhooks/calendar', {
      providerId: h.ids.provider,
      busy: [{ externalId: 'gcal-1', start: slots[3].start, end: slots[5].end }],
      removed: [],
    });
    expect(same.json()).toMatchObject({ upserted: 0, flagged: [] });
    h.clock.advance(1000);
    const gone = await post('/webhooks/calendar', {
      providerId: h.ids.provider,
      busy: [],
      removed: ['gcal-1', 'never-seen'],
    });
    expect(gone.json()).toMatchObject({ upserted: 0, removed: 1 });
    expect((await slotsOf(h, DAY)).timeslots[3].status).toBe('available');
  });

  it('delivery status moves a notification to delivered / bounced; unknown ids are 404', async () => {
    const a = await bookVia(h, (await slotsOf(h, DAY)).timeslots[2].id);
    const deps = jobDeps(h);
    await dispatchOutbox(deps);
    h.ctx.config.smtpUrl = undefined;
    const t = transportsFrom(deps);
    await drainNotifications(deps, t);
    closeTransports(t);
    // 12.11: the Message-ID a delivery webhook names is in the appointment's details
    const email = (
      (
        await h.app.inject({ method: 'GET', url: `/appointments/${a.id}`, headers: auth(h.tokens.staff) })
      ).json().notifications as { recipient: string; channel: string; messageId: string }[]
    )
      .filter((n) => n.channel === 'email')
      .sort((x, y) => x.recipient.localeCompare(y.recipient));
    const rows = email.map((n) => ({ recipient: n.recipient, message_id: n.messageId }));
    expect(rows).toHaveLength(2);
    expect(rows[0].message_id).toMatch(/^<.+@.+>$/);
    const ok = await post('/webhooks/notifications', {
      messageId: rows[0].message_id,
      status: 'delivered',
      at: '2030-01-07T12:00:01Z',
    });
    expect(ok.statusCode).toBe(200);
    const bounced = await post('/webhooks/notifications', {
      messageId: rows[1].message_id.replace(/^<|>$/g, ''),
      status: 'bounced',
      error: '550 mailbox unknown',
      at: '2030-01-07T12:00:02Z',
    });
    expect(bounced.statusCode).toBe(200);
    const notes = (
      await h.app.inject({ method: 'GET', url: `/appointments/${a.id}`, headers: auth(h.tokens.staff) })
    ).json().notifications as { recipient: string; status: string; lastError: string | null }[];
    expect(notes.find((n) => n.recipient === rows[0].recipient)).toMatchObject({
      status: 'delivered',
      lastError: null,
    });
    expect(notes.find((n) => n.recipient === rows[1].recipient)).toMatchObject({
      status: 'bounced',
      lastError: '550 mailbox unknown',
    });
    const unknown = await post('/webhooks/notifications', {
      messageId: '<nope@appt>',
      status: 'delivered',
      at: '2030-01-07T12:00:03Z',
    });
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'not_found']);
    const badStatus = await post('/webhooks/notifications', {
      messageId: rows[0].message_id,
      status: 'read',
      at: '2030-01-07T12:00:03Z',
    });
    expect([badStatus.statusCode, badStatus.json().code]).toEqual([400, 'validation']);
  });
});

describe('ICS feed and export', () => {
  it('serves the provider feed with the feed token, 404 with a wrong or missing token', async () => {
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[1].id);
    const token = (
      (await stmt(h.ctx.db, 'SELECT feed_token FROM providers WHERE id = ?').get(h.ids.provider)) as {
        feed_token: string;
      }
    ).feed_token;
    const r = await h.app.inject({
      method: 'GET',
      url: `/providers/${h.ids.provider}/calendar.ics?token=${token}`,
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/calendar/);
    const cal = new ICAL.Component(ICAL.parse(r.body));
    const evs = cal.getAllSubcomponents('vevent');
    expect(evs.map((e) => e.getFirstPropertyValue('uid'))).toEqual([a.id]);
    expect(cal.getFirstPropertyValue('x-wr-timezone')).toBe('America/New_York');
    for (const url of [
      `/providers/${h.ids.provider}/calendar.ics?token=feed_wrong`,
      `/providers/${h.ids.provider}/calendar.ics`,
      `/providers/nope/calendar.ics?token=${token}`,
    ]) {
      const bad = await h.app.inject({ method: 'GET', url });
      expect([bad.statusCode, bad.json().code]).toEqual([404, 'not_found']);
    }
  });

  it('admins read and rotate the feed token; the old URL stops working; others are refused', async () => {
    const feed = await h.app.inject({
      method: 'GET',
      url: `/admin/providers/${h.ids.provider}/feed`,
      headers: auth(h.tokens.admin),
    });
    expect(feed.statusCode).toBe(200);
    const { token, path } = feed.json();
    expect(path).toBe(`/providers/${h.ids.provider}/calendar.ics?token=${token}`);
    expect((await h.app.inject({ method: 'GET', url: path })).statusCode).toBe(200);
    const rotated = await h.app.inject({
      method: 'POST',
      url: `/admin/providers/${h.ids.provider}/feed/rotate`,
      headers: auth(h.tokens.admin),
    });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().token).not.toBe(token);
    expect((await h.app.inject({ method: 'GET', url: path })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: rotated.json().path })).statusCode).toBe(200);
    const audit = await h.app.inject({
      method: 'GET',
      url: '/admin/audit?action=feed_token.rotated',
      headers: auth(h.tokens.admin),
    });
    expect(audit.json().items).toHaveLength(1);
    for (const [token2, status] of [
      [h.tokens.staff, 403],
      [h.tokens.alice, 403],
      ['nope', 401],
    ] as const) {
      const r = await h.app.inject({
        method: 'GET',
        url: `/admin/providers/${h.ids.provider}/feed`,
        headers: auth(token2),
      });
      expect(r.statusCode).toBe(status);
    }
    const missing = await h.app.inject({
      method: 'POST',
      url: '/admin/providers/nope/feed/rotate',
      headers: auth(h.tokens.admin),
    });
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'not_found']);
  });

  it('the export job writes <data-dir>/exports/<providerId>.ics', async () => {
    const a = await bookVia(h, (await slotsOf(h, DAY)).timeslots[5].id);
    const r = await exportIcs(jobDeps(h));
    expect(r.files).toBe(1);
    const { readFileSync } = await import('node:fs');
    const ics = readFileSync(`${h.dir}/exports/${h.ids.provider}.ics`, 'utf8');
    const ev = new ICAL.Component(ICAL.parse(ics)).getFirstSubcomponent('vevent')!;
    expect(ev.getFirstPropertyValue('uid')).toBe(a.id);
  });
});
