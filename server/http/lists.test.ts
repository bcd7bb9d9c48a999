import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => {
  await h.close();
});

async function list(query: string, token = h.tokens.alice) {
  const r = await h.app.inject({
    method: 'GET',
    url: `/users/${h.ids.alice}/appointments?${query}`,
    headers: auth(token),
  });
  expect(r.statusCode).toBe(200);
  return r.json() as { items: { id: string; start: string; status: string }[]; nextCursor: string | null };
}

describe('customer lists', () => {
  it('upcoming soonest first; history newest first, including cancelled future ones and past ones', async () => {
    const d1 = (await slotsOf(h, '2030-01-08')).timeslots;
    const d2 = (await slotsOf(h, '2030-01-09')).timeslots;
    const a = await bookVia(h, d2[0].id);
    const b = await bookVia(h, d1[3].id);
    const c = await bookVia(h, d1[5].id);
    await h.app.inject({
      method: 'POST',
      url: `/appointments/${c.id}/cancel`,
      headers: auth(h.tokens.alice, { 'idempotency-key': 'x' }),
      payload: {},
    });
    expect((await list('filter=upcoming')).items.map((i) => i.id)).toEqual([b.id, a.id]);
    expect((await list('filter=history')).items.map((i) => i.id)).toEqual([c.id]);
    h.clock.set('2030-01-08T16:00:00Z'); // b (15:30Z) has started
    expect((await list('filter=upcoming')).items.map((i) => i.id)).toEqual([a.id]);
    expect((await list('filter=history')).items.map((i) => i.id)).toEqual([c.id, b.id]);
  });

  it('cursor pagination walks every row once, in a stable order, even while rows are added', async () => {
    const days = ['2030-01-10', '2030-01-11', '2030-01-12'];
    const ids: string[] = [];
    for (const d of days)
      for (const s of (await slotsOf(h, d)).timeslots.slice(0, 5)) ids.push((await bookVia(h, s.id)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`filter=upcoming&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
      if (pages === 0) ids.push((await bookVia(h, (await slotsOf(h, '2030-01-13')).timeslots[0].id)).id); // appended at the end
      pages++;
    } while (cursor);
    expect(seen).toEqual(ids);
    expect(pages).toBe(4);
    const bad = await h.app.inject({
      method: 'GET',
      url: `/users/${h.ids.alice}/appointments?cursor=garbage`,
      headers: auth(h.tokens.alice),
    });
    expect(bad.statusCode).toBe(400);
    const tooMany = await h.app.inject({
      method: 'GET',
      url: `/users/${h.ids.alice}/appointments?limit=1000`,
      headers: auth(h.tokens.alice),
    });
    expect(tooMany.statusCode).toBe(400);
  });
});

describe('front-desk day view', () => {
  it('filters by provider day (provider zone), status and search text', async () => {
    const slots = (await slotsOf(h, '2030-01-08')).timeslots;
    const a = await bookVia(h, slots[0].id);
    await bookVia(h, slots[15].id, { userId: h.ids.bob }); // 16:30 EST = 21:30Z, still Jan 8 locally
    const next = (await slotsOf(h, '2030-01-09')).timeslots;
    await bookVia(h, next[0].id);
    const day = await h.app.inject({
      method: 'GET',
      url: `/appointments?providerId=${h.ids.provider}&date=2030-01-08`,
      headers: auth(h.tokens.staff),
    });
    expect(day.json().items).toHaveLength(2);
    const search = await h.app.inject({
      method: 'GET',
      url: '/appointments?q=bob',
      headers: auth(h.tokens.staff),
    });
    expect(search.json().items).toHaveLength(1);
    const byTz = await h.app.inject({
      method: 'GET',
      url: '/appointments?date=2030-01-08&tz=UTC',
      headers: auth(h.tokens.staff),
    });
    expect(byTz.json().items.map((i: { id: string }) => i.id)).toContain(a.id);
    const status = await h.app.inject({
      method: 'GET',
      url: '/appointments?status=cancelled',
      headers: auth(h.tokens.staff),
    });
    expect(status.json().items).toEqual([]);
    const badTz = await h.app.inject({
      method: 'GET',
      url: '/appointments?date=2030-01-08&tz=Mars/Base',
      headers: auth(h.tokens.staff),
    });
    expect(badTz.statusCode).toBe(400);
    const badStatus = await h.app.inject({
      method: 'GET',
      url: '/appointments?status=nope',
      headers: auth(h.tokens.staff),
    });
    expect(badStatus.statusCode).toBe(400);
  });

  it('quick alternatives: tomorrow nearest to the same time, next available, a date', async () => {
    const slots = (await slotsOf(h, '2030-01-08')).timeslots;
    const a = await bookVia(h, slots[4].id); // 11:00 EST
    const tomorrow = await h.app.inject({
      method: 'GET',
      url: `/appointments/${a.id}/alternatives?kind=tomorrow`,
      headers: auth(h.tokens.alice),
    });
    const t = tomorrow.json();
    expect(t.items[0].start).toBe('2030-01-09T16:00:00.000Z');
    expect(t.items[0].deltaMinutes).toBe(24 * 60);
    const next = await h.app.inject({
      method: 'GET',
      url: `/appointments/${a.id}/alternatives?kind=next&limit=3`,
      headers: auth(h.tokens.alice),
    });
    expect(next.json().items.map((i: { start: string }) => i.start)).toEqual([
      '2030-01-07T14:00:00.000Z',
      '2030-01-07T14:30:00.000Z',
      '2030-01-07T15:00:00.000Z',
    ]);
    const noDate = await h.app.inject({
      method: 'GET',
      url: `/appointments/${a.id}/alternatives?kind=date`,
      headers: auth(h.tokens.alice),
    });
    expect(noDate.statusCode).toBe(400);
    const ics = await h.app.inject({
      method: 'GET',
      url: `/appointments/${a.id}/ics`,
      headers: auth(h.tokens.alice),
    });
    expect(ics.headers['content-type']).toContain('text/calendar');
    expect(ics.body).toContain(`UID:${a.id}`);
  });
});
