import { afterEach, describe, expect, it } from 'vitest';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';

/**
 * Issue 14: the user list's ETag is known before the page is read (change marks set by
 * triggers, the catalog's mark, the customer's name, the next start after now). A 304 must
 * never hide a change: every kind of change that alters the page gives a new tag, and a
 * change elsewhere leaves it alone.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
const DAY = '2030-01-20';

const list = (url: string, tag?: string) =>
  h!.app.inject({
    method: 'GET',
    url,
    headers: auth(h!.tokens.staff, tag ? { 'if-none-match': tag } : {}),
  });

/** the page's tag now; and that it still revalidates to 304 with an empty body */
async function tagOf(url: string): Promise<string> {
  const r = await list(url);
  expect(r.statusCode).toBe(200);
  const tag = String(r.headers.etag);
  expect(tag).toMatch(/^"[\w-]+"$/);
  const again = await list(url, tag);
  expect([again.statusCode, again.body]).toEqual([304, '']);
  expect(again.headers.etag).toBe(tag);
  return tag;
}

/** after `change`, the old tag no longer matches: a 200 with the new page */
async function changes(url: string, change: () => Promise<unknown>, see?: (body: any) => void) {
  const before = await tagOf(url);
  await change();
  const r = await list(url, before);
  expect(r.statusCode, `a stale tag must not get a 304 after the change (${url})`).toBe(200);
  expect(r.headers.etag).not.toBe(before);
  see?.(r.json());
}

describe('14. GET /users/{id}/appointments: a validator known before the query', () => {
  it('a new tag for each change the page shows; the same tag for changes it does not', async () => {
    h = await makeHarness();
    const slots = (await slotsOf(h, DAY)).timeslots;
    const a = await bookVia(h, slots[2].id);
    const upcoming = `/users/${h.ids.alice}/appointments`;
    const admin = (method: 'PATCH' | 'POST', url: string, payload: object) =>
      h!.app.inject({ method, url, headers: auth(h!.tokens.admin), payload });

    // a booking, a cancel by the desk
    await changes(upcoming, () => bookVia(h!, slots[4].id));
    await changes(upcoming, () =>
      h!.app.inject({
        method: 'POST',
        url: `/appointments/${a.id}/cancel`,
        headers: auth(h!.tokens.staff, { 'idempotency-key': 'lv-cancel' }),
        payload: { reason: 'test' },
      }),
    );
    // the catalog: a provider renamed, a service retitled; the customer renamed
    await changes(
      upcoming,
      async () =>
        expect(
          (await admin('PATCH', `/admin/providers/${h!.ids.provider}`, { name: 'Dr. Renamed' })).statusCode,
        ).toBe(200),
      (b) => expect(b.items[0].providerName).toBe('Dr. Renamed'),
    );
    await changes(
      upcoming,
      async () =>
        expect(
          (await admin('PATCH', `/admin/services/${h!.ids.service}`, { title: 'Checkup' })).statusCode,
        ).toBe(200),
      (b) => expect(b.items[0].serviceTitle).toBe('Checkup'),
    );
    await changes(
      upcoming,
      () => h!.ctx.db.run('UPDATE users SET name = ? WHERE id = ?', ['Alice Renamed', h!.ids.alice]),
      (b) => expect(b.items[0].userName).toBe('Alice Renamed'),
    );
    // time: the first appointment starts, it leaves upcoming and joins history
    const history = `/users/${h.ids.alice}/appointments?filter=history`;
    const first = (await list(upcoming)).json().items[0];
    const hTag = await tagOf(history);
    await changes(upcoming, async () => h!.clock.set(Date.parse(first.start) + 1000));
    const moved = await list(history, hTag);
    expect(moved.statusCode).toBe(200);
    expect(moved.json().items.map((i: { id: string }) => i.id)).toContain(first.id);

    // not the page's business: another customer's booking keeps Alice's tag
    const still = await tagOf(upcoming);
    const later = (await slotsOf(h, '2030-01-21')).timeslots;
    await bookVia(h, later[3].id, { userId: h.ids.bob });
    expect((await list(upcoming, still)).statusCode).toBe(304);

    // the request's own parameters are part of the tag
    const tags = new Set([
      still,
      await tagOf(`${upcoming}?limit=1`),
      await tagOf(history),
      String((await list(`${upcoming}?limit=1`)).headers.etag),
    ]);
    expect(tags.size).toBe(3);
  });

  it('a customer asking for their own list revalidates the same way; another customer still gets 404', async () => {
    h = await makeHarness();
    const slots = (await slotsOf(h, DAY)).timeslots;
    await bookVia(h, slots[1].id);
    const url = `/users/${h.ids.alice}/appointments`;
    const mine = await h.app.inject({ method: 'GET', url, headers: auth(h.tokens.alice) });
    expect(mine.statusCode).toBe(200);
    const again = await h.app.inject({
      method: 'GET',
      url,
      headers: auth(h.tokens.alice, { 'if-none-match': String(mine.headers.etag) }),
    });
    expect(again.statusCode).toBe(304);
    const theirs = await h.app.inject({
      method: 'GET',
      url,
      headers: auth(h.tokens.bob, { 'if-none-match': String(mine.headers.etag) }),
    });
    expect(theirs.statusCode).toBe(404);
  });

  it('a page served from the page cache is the page the query builds, byte for byte; 0 MB turns it off', async () => {
    const bodies: string[] = [];
    for (const listCacheMb of [16, 0]) {
      h = await makeHarness({ config: { listCacheMb } });
      const slots = (await slotsOf(h, DAY)).timeslots;
      await bookVia(h, slots[1].id);
      await bookVia(h, slots[5].id);
      const url = `/users/${h.ids.alice}/appointments`;
      const first = await list(url);
      const second = await list(url);
      expect(second.body).toBe(first.body);
      expect(second.headers['content-type']).toBe(first.headers['content-type']);
      expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(first.json().items).toHaveLength(2);
      // ids and times differ between harnesses; the shape does not
      bodies.push(first.body.replace(/"[0-9a-f-]{36}"/g, '"id"').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 't'));
      await h.close();
      h = undefined;
    }
    expect(bodies[0]).toBe(bodies[1]);
  });
});
