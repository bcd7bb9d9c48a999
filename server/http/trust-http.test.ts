import { afterEach, describe, expect, it } from 'vitest';
import { etagVersion } from '../../shared/api-errors.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';

/**
 * Issue 12, item 12: HTTP semantics per RFC 9110 — If-Match compared strongly, an ETag
 * that changes with the representation, 304 on If-None-Match for the detail, the lists
 * and the ICS feed (which also carries Last-Modified), 401 naming the Bearer scheme.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
const DAY = '2030-01-20';
let n = 0;

async function cancel(id: string, ifMatch: string) {
  return h!.app.inject({
    method: 'POST',
    url: `/appointments/${id}/cancel`,
    headers: auth(h!.tokens.staff, { 'idempotency-key': `im-${++n}`, 'if-match': ifMatch }),
    payload: { reason: 'test' },
  });
}
const detail = (id: string, headers: Record<string, string> = {}) =>
  h!.app.inject({ method: 'GET', url: `/appointments/${id}`, headers: auth(h!.tokens.staff, headers) });

describe('12.12 HTTP semantics per RFC 9110', () => {
  it('If-Match compares strongly: W/"1" never matches, a list matches if any does, * matches', async () => {
    h = await makeHarness();
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[1].id);
    const b = await bookVia(h, slots[3].id);
    const c = await bookVia(h, slots[5].id);
    expect(a.version).toBe(1);

    const weak = await cancel(a.id, 'W/"1"');
    expect(weak.statusCode).toBe(412);
    expect(weak.json().code).toBe('version_mismatch');
    const weakList = await cancel(a.id, 'W/"1", W/"2"');
    expect(weakList.statusCode).toBe(412);
    const list = await cancel(a.id, '"7", W/"1", "1"');
    expect(list.statusCode).toBe(200);

    const any = await cancel(b.id, '*');
    expect(any.statusCode).toBe(200);
    const bad = await cancel(c.id, 'garbage');
    expect(bad.statusCode).toBe(400);
    // `*` on an appointment that does not exist is not a match: 404
    const missing = await cancel('no-such-appointment', '*');
    expect(missing.statusCode).toBe(404);
  });

  it('the ETag of GET /appointments/{id} changes with the body; an older tag still passes If-Match on its version', async () => {
    h = await makeHarness();
    const a = await bookVia(h, (await slotsOf(h, DAY)).timeslots[2].id);
    const first = await detail(a.id);
    const e1 = String(first.headers.etag);
    expect(e1).toMatch(/^"1-[\w-]+"$/);
    expect(etagVersion(e1)).toBe(1);
    // same body, same tag
    expect((await detail(a.id)).headers.etag).toBe(e1);
    // a refused attempt adds an audit line to the body but leaves the version alone
    expect((await cancel(a.id, '"9"')).statusCode).toBe(412);
    const second = await detail(a.id);
    const e2 = String(second.headers.etag);
    expect(second.json().version).toBe(1);
    expect(second.json().audit.length).toBeGreaterThan(first.json().audit.length);
    expect(e2).not.toBe(e1);
    expect(e2).toMatch(/^"1-/);
    // the tag the client got before the audit line was added still names version 1
    const ok = await cancel(a.id, e1);
    expect(ok.statusCode).toBe(200);
  });

  it('If-None-Match → 304 on the detail and on both list routes; a change gives a new tag', async () => {
    h = await makeHarness();
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[2].id);
    const d = await detail(a.id);
    const nm = await detail(a.id, { 'if-none-match': String(d.headers.etag) });
    expect(nm.statusCode).toBe(304);
    expect(nm.body).toBe('');
    expect(nm.headers.etag).toBe(d.headers.etag);
    // weak comparison for If-None-Match, and a list
    expect((await detail(a.id, { 'if-none-match': `"x", W/${d.headers.etag}` })).statusCode).toBe(304);
    expect((await detail(a.id, { 'if-none-match': '"other"' })).statusCode).toBe(200);

    for (const url of [
      `/appointments?providerId=${h.ids.provider}&date=${DAY}`,
      `/users/${h.ids.alice}/appointments`,
    ]) {
      const first = await h.app.inject({ method: 'GET', url, headers: auth(h.tokens.staff) });
      expect(first.statusCode).toBe(200);
      const tag = String(first.headers.etag);
      expect(tag).toMatch(/^"[\w-]+"$/);
      const again = await h.app.inject({
        method: 'GET',
        url,
        headers: auth(h.tokens.staff, { 'if-none-match': tag }),
      });
      expect([url, again.statusCode, again.body]).toEqual([url, 304, '']);
    }
    const before = await h.app.inject({
      method: 'GET',
      url: `/users/${h.ids.alice}/appointments`,
      headers: auth(h.tokens.staff),
    });
    await bookVia(h, slots[6].id);
    const after = await h.app.inject({
      method: 'GET',
      url: `/users/${h.ids.alice}/appointments`,
      headers: auth(h.tokens.staff, { 'if-none-match': String(before.headers.etag) }),
    });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(before.headers.etag);
  });

  it('the ICS feed has ETag and Last-Modified and answers 304 to either validator', async () => {
    h = await makeHarness();
    await bookVia(h, (await slotsOf(h, DAY)).timeslots[2].id);
    const feed = await h.app.inject({
      method: 'GET',
      url: `/admin/providers/${h.ids.provider}/feed`,
      headers: auth(h.tokens.admin),
    });
    const url = feed.json().path as string;
    const r = await h.app.inject({ method: 'GET', url });
    expect(r.statusCode).toBe(200);
    const lm = String(r.headers['last-modified']);
    expect(new Date(lm).toISOString()).toBe('2030-01-07T12:00:00.000Z');
    const tag = String(r.headers.etag);
    const byTag = await h.app.inject({ method: 'GET', url, headers: { 'if-none-match': tag } });
    expect(byTag.statusCode).toBe(304);
    expect(byTag.body).toBe('');
    const byDate = await h.app.inject({ method: 'GET', url, headers: { 'if-modified-since': lm } });
    expect(byDate.statusCode).toBe(304);
    const older = await h.app.inject({
      method: 'GET',
      url,
      headers: { 'if-modified-since': new Date(Date.parse(lm) - 60_000).toUTCString() },
    });
    expect(older.statusCode).toBe(200);
  });

  it('401 carries WWW-Authenticate: Bearer', async () => {
    h = await makeHarness();
    const r = await h.app.inject({ method: 'GET', url: '/me' });
    expect(r.statusCode).toBe(401);
    expect(String(r.headers['www-authenticate'])).toMatch(/^Bearer\b/);
  });
});
