import { afterEach, describe, expect, it } from 'vitest';
import { stmt } from '../db/open.js';
import { maskedConfig, testConfig } from '../config.js';
import { signApiRequest } from '../realtime/protocol.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf, holdVia } from '../testing/harness.js';
import { withoutForeignKeys } from '../testing/bypass.js';
import { signatureHeader } from '../webhooks/signature.js';

/**
 * Issue 12 (trust), security items 1–4: each test is named after its item and failed
 * before the fix (secrets in /providers, form bodies under a signature, the failed-auth
 * brake locking out valid tokens, unbounded customer holds).
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const DAY = '2030-01-20';

describe('12.1 secrets in responses', () => {
  it('CalDAV credentials are write-only: no route returns them, admins see the URL without userinfo', async () => {
    h = await makeHarness();
    const admin = auth(h.tokens.admin);
    const created = await h.app.inject({
      method: 'POST',
      url: '/admin/providers',
      headers: admin,
      payload: {
        name: 'Dr. Cal',
        timezone: 'Europe/London',
        caldavUrl: 'https://olduser:oldpass@cal.example.com/dav/clinic/',
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain('oldpass');
    expect(created.body).not.toContain('olduser');
    const id = created.json().id as string;
    expect(created.json()).toMatchObject({
      caldavUrl: 'https://cal.example.com/dav/clinic/',
      caldavConfigured: true,
    });
    const patched = await h.app.inject({
      method: 'PATCH',
      url: `/admin/providers/${id}`,
      headers: admin,
      payload: { caldavUsername: 'desk', caldavPassword: 's3cret-pass', caldavToken: 'bearer-xyz' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.body).not.toMatch(/s3cret-pass|bearer-xyz/);
    // stored apart from the provider row
    const stored = await stmt(
      h.ctx.db,
      'SELECT caldav_username, caldav_password, caldav_token FROM provider_credentials WHERE provider_id = ?',
    ).get(id);
    expect(stored).toEqual({
      caldav_username: 'desk',
      caldav_password: 's3cret-pass',
      caldav_token: 'bearer-xyz',
    });
    const row = (await stmt(h.ctx.db, 'SELECT caldav_url FROM providers WHERE id = ?').get(id)) as {
      caldav_url: string;
    };
    expect(row.caldav_url).toBe('https://cal.example.com/dav/clinic/');

    for (const who of ['admin', 'staff', 'support', 'alice'] as const) {
      const r = await h.app.inject({ method: 'GET', url: '/providers', headers: auth(h.tokens[who]) });
      expect(r.statusCode).toBe(200);
      expect(r.body).not.toMatch(/s3cret-pass|bearer-xyz|oldpass|olduser|"desk"/);
      const p = (
        r.json().items as { id: string; caldavUrl: string | null; caldavConfigured: boolean }[]
      ).find((x) => x.id === id)!;
      expect(p.caldavConfigured).toBe(true);
      // only admins see where the calendar is
      expect(p.caldavUrl).toBe(who === 'admin' ? 'https://cal.example.com/dav/clinic/' : null);
    }
    const doc = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    const provider = doc.json().components?.schemas?.Provider ?? {};
    expect(JSON.stringify(provider)).not.toContain('caldavPassword');
  });

  it('URLs with credentials are masked in --print-config', () => {
    const c = testConfig({
      smtpUrl: 'smtp://mailer:mailpass@smtp.example.com:587',
      smsWebhookUrl: 'https://smsuser:smspass@sms.example.com/hook',
      pushWebhookUrl: 'https://pushuser:pushpass@push.example.com/hook',
      pusherUrl: 'http://KEY:SECRET@127.0.0.1:6001/apps/1',
    });
    const printed = JSON.stringify(maskedConfig(c));
    expect(printed).not.toMatch(/mailpass|smspass|pushpass|SECRET|mailer|smsuser|pushuser/);
    expect(printed).toContain('smtp.example.com');
  });

  it('a provider stored with credentials in its URL has them moved out on start-up', async () => {
    h = await makeHarness();
    await stmt(h.ctx.db, 'UPDATE providers SET caldav_url = ? WHERE id = ?').run(
      'https://legacy:legacy-pass@cal.example.com/c/',
      h.ids.provider,
    );
    const { moveUrlCredentials } = await import('../catalog/credentials.js');
    expect(await moveUrlCredentials(h.ctx.db, h.clock.now())).toBe(1);
    const r = await h.app.inject({ method: 'GET', url: '/providers', headers: auth(h.tokens.admin) });
    expect(r.body).not.toContain('legacy-pass');
    expect(r.body).toContain('https://cal.example.com/c/');
  });
});

describe('12.2 signed routes check the raw body whatever its content type', () => {
  it('a form body under a valid Pusher API signature is refused (415), and an exact replay is 409', async () => {
    h = await makeHarness();
    const { pusherKey: key, pusherSecret: secret, pusherAppId: appId } = h.ctx.config;
    const path = `/apps/${appId}/events`;
    const now = Math.floor(Date.now() / 1000);
    // the signature covers an empty body; the form body was never signed
    const q = signApiRequest({ key, secret, method: 'POST', path, nowSeconds: now });
    const forged = await h.app.inject({
      method: 'POST',
      url: `${path}?${q}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `name=booking.cancelled&channel=private-user.${h.ids.bob}.bookings&data=%7B%7D`,
    });
    expect(forged.statusCode).toBe(415);
    expect(forged.json().code).toBe('unsupported_media_type');

    const body = JSON.stringify({ name: 'ping', channel: 'provider.x.availability', data: '{}' });
    const signed = signApiRequest({ key, secret, method: 'POST', path, body, nowSeconds: now });
    const send = () =>
      h!.app.inject({
        method: 'POST',
        url: `${path}?${signed}`,
        headers: { 'content-type': 'application/json' },
        payload: body,
      });
    expect((await send()).statusCode).toBe(200);
    const replay = await send();
    expect(replay.statusCode).toBe(409);
    expect(replay.json().code).toBe('replayed');
  });

  it('a webhook signed over the empty string does not accept a form body', async () => {
    h = await makeHarness({ config: { webhookSecret: 'whsec_test' } });
    const r = await h.app.inject({
      method: 'POST',
      url: '/webhooks/calendar',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'appt-signature': signatureHeader('whsec_test', '', h.clock.now()),
      },
      payload: `providerId=${h.ids.provider}&removed=x`,
    });
    expect(r.statusCode).toBe(415);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json().code).toBe('unsupported_media_type');
  });
});

describe('12.3 the failed-auth brake does not lock out valid tokens', () => {
  it('after 100 bad tokens from one address, a valid token still works; bad ones get 429', async () => {
    h = await makeHarness({ config: { rateLimitAuthFailures: 100 } });
    for (let i = 0; i < 100; i++) {
      const r = await h.app.inject({ method: 'GET', url: '/me', headers: auth(`bad-${i}`) });
      expect(r.statusCode).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
    }
    const bad = await h.app.inject({ method: 'GET', url: '/me', headers: auth('bad-again') });
    expect(bad.statusCode).toBe(429);
    expect(Number(bad.headers['retry-after'])).toBeGreaterThan(0);
    const good = await h.app.inject({ method: 'GET', url: '/me', headers: auth(h.tokens.admin) });
    expect(good.statusCode).toBe(200);
    const write = await h.app.inject({
      method: 'POST',
      url: '/admin/users',
      headers: auth(h.tokens.admin),
      payload: { name: 'Still Works', email: 'still@example.com' },
    });
    expect(write.statusCode).toBe(201);
  });
});

describe('12.4 holds per customer are bounded', () => {
  it('a user token holds at most APPT_MAX_HOLDS_PER_USER slots; the next is 409 too_many_holds naming them', async () => {
    h = await makeHarness({ config: { maxHoldsPerUser: 2 } });
    const slots = (await slotsOf(h, DAY)).timeslots;
    const hold = (token: string, i: number) => holdVia(h!, { timeslotId: slots[i].id }, { token: token });
    const a = await hold(h.tokens.alice, 0);
    const b = await hold(h.tokens.alice, 2);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    const c = await hold(h.tokens.alice, 4);
    expect(c.statusCode).toBe(409);
    const p = c.json();
    expect(p.code).toBe('too_many_holds');
    expect(p.holds.map((x: { reservationToken: string }) => x.reservationToken).sort()).toEqual(
      [a.json().reservationToken, b.json().reservationToken].sort(),
    );
    // another customer is not affected; releasing one makes room
    expect((await hold(h.tokens.bob, 6)).statusCode).toBe(201);
    const del = await h.app.inject({
      method: 'DELETE',
      url: `/reservations/${a.json().reservationToken}`,
      headers: auth(h.tokens.alice),
    });
    expect(del.statusCode).toBe(204);
    expect((await hold(h.tokens.alice, 4)).statusCode).toBe(201);
    // an expired hold no longer counts
    h.clock.advance(91_000);
    expect((await hold(h.tokens.alice, 8)).statusCode).toBe(201);
    expect((await hold(h.tokens.alice, 10)).statusCode).toBe(201);
  });

  it('staff are unbounded (bulk work)', async () => {
    h = await makeHarness({ config: { maxHoldsPerUser: 2 } });
    const slots = (await slotsOf(h, DAY)).timeslots;
    for (let i = 0; i < 6; i++) {
      const r = await holdVia(h, { timeslotId: slots[i * 2].id, userId: h.ids.alice });
      expect(r.statusCode).toBe(201);
    }
  });
});

describe('13.7 who, in words (server side)', () => {
  it('audit entries name the actor: token name and role for staff, the customer for users', async () => {
    h = await makeHarness();
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[0].id, { token: h.tokens.alice });
    const b = await bookVia(h, slots[4].id, { token: h.tokens.staff });
    const audit = async (id: string) =>
      (
        await h!.app.inject({
          method: 'GET',
          url: `/appointments/${id}/audit`,
          headers: auth(h!.tokens.admin),
        })
      ).json().items[0].actor;
    expect(await audit(a.id)).toMatchObject({ name: 'Alice Doe', role: 'user', id: h.ids.alice });
    expect(await audit(b.id)).toMatchObject({ name: 'front desk', role: 'staff' });
    expect((await audit(b.id)).id).toMatch(/^token:/);
  });
});

describe('12.10 smaller ones (server side)', () => {
  it('cancelling an appointment releases its pending reschedule hold', async () => {
    h = await makeHarness();
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[0].id);
    const hold = await holdVia(h, { timeslotId: slots[6].id, appointmentId: a.id });
    expect(hold.statusCode).toBe(201);
    expect((await slotsOf(h, DAY)).timeslots[6].status).toBe('reserved');
    const c = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/cancel`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'cancel-releases-hold' }),
      payload: { reason: 'customer called' },
    });
    expect(c.statusCode).toBe(200);
    expect((await slotsOf(h, DAY)).timeslots[6].status).toBe('available');
    const r = await h.ctx.db.get<{ status: string }>('SELECT status FROM reservations WHERE token = ?', [
      hold.json().reservationToken,
    ]);
    expect(r?.status).toBe('released');
  });

  it('a token whose customer is gone is refused (401)', async () => {
    h = await makeHarness();
    const u = await h.app.inject({
      method: 'POST',
      url: '/admin/users',
      headers: auth(h.tokens.admin),
      payload: { name: 'Gone Soon', email: 'gone@example.com' },
    });
    const t = await h.app.inject({
      method: 'POST',
      url: '/admin/tokens',
      headers: auth(h.tokens.admin),
      payload: { name: 'gone', role: 'user', userId: u.json().id },
    });
    const token = t.json().token as string;
    expect((await h.app.inject({ method: 'GET', url: '/me', headers: auth(token) })).statusCode).toBe(200);
    await withoutForeignKeys(h.ctx.db, async (q) => {
      await q.run('DELETE FROM users WHERE id = ?', [u.json().id]);
    });
    expect((await h.app.inject({ method: 'GET', url: '/me', headers: auth(token) })).statusCode).toBe(401);
  });
});
