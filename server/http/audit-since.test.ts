import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';

/** Issue 13: `since` takes the same forms everywhere — GET /admin/audit as well as stats. */
let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => {
  await h.close();
});

const search = async (q: string) =>
  await h.app.inject({
    method: 'GET',
    url: `/admin/audit?action=created${q}`,
    headers: auth(h.tokens.admin),
  });

describe('GET /admin/audit since/until', () => {
  it('takes spans back from the (injected) clock as well as ISO times', async () => {
    await bookVia(h, (await slotsOf(h, '2030-01-08')).timeslots[0].id);
    h.clock.advance(2 * 3_600_000);
    expect((await search('&since=3h')).json().items).toHaveLength(1);
    expect((await search('&since=1h')).json().items).toHaveLength(0);
    expect((await search('&until=1h')).json().items).toHaveLength(1);
    expect((await search('&since=2030-01-01')).json().items).toHaveLength(1);
    const bad = await search('&since=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/a span like 1h, 7d/);
  });
});
