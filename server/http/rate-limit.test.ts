import { afterEach, describe, expect, it } from 'vitest';
import { auth, type Harness, makeHarness, slotsOf, holdVia } from '../testing/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const DAY = '2030-01-08';

const holdReq = (hh: Harness, token: string, timeslotId: string, userId: string) =>
  holdVia(hh, { timeslotId, userId }, { token });

describe('rate limits on mutations', () => {
  it('a burst over a user token’s limit gets 429 problem+json with Retry-After; other tokens keep being served', async () => {
    h = await makeHarness({ config: { rateLimitUser: 60, rateLimitStaff: 60_000 } });
    const slot = (await slotsOf(h, DAY)).timeslots[0].id;
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof holdReq>> | undefined;
    for (let i = 0; i < 70; i++) {
      // the same slot again and again: 201 once, then 409 — every attempt spends the budget
      const r = await holdReq(h, h.tokens.alice, slot, h.ids.alice);
      statuses.push(r.statusCode);
      if (r.statusCode === 429) refused ??= r;
    }
    expect(statuses.slice(0, 60).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(60)).toEqual(Array(10).fill(429));
    expect(refused!.headers['content-type']).toContain('application/problem+json');
    const body = refused!.json();
    expect(body).toMatchObject({ status: 429, code: 'rate_limited', title: 'Too many requests' });
    expect(body.type).toMatch(/rate-limited/);
    expect(body.detail).toMatch(/60 changes a minute/);
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused!.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused!.headers['x-ratelimit-limit']).toBe('60');
    expect(refused!.headers['x-ratelimit-remaining']).toBe('0');

    // reads are not limited for the same token
    const read = await h.app.inject({ method: 'GET', url: '/me', headers: auth(h.tokens.alice) });
    expect(read.statusCode).toBe(200);
    // bob (another user token) and staff still get served
    const bob = await holdReq(h, h.tokens.bob, (await slotsOf(h, DAY)).timeslots[3].id, h.ids.bob);
    expect(bob.statusCode).toBe(201);
    expect(bob.headers['x-ratelimit-remaining']).toBe('59');
    const staff = await holdReq(h, h.tokens.staff, (await slotsOf(h, DAY)).timeslots[5].id, h.ids.bob);
    expect(staff.statusCode).toBe(201);
  });

  it('channel authorization (POST /realtime/auth) is not a change and never meets a 429', async () => {
    h = await makeHarness({ config: { rateLimitUser: 60, rateLimitStaff: 60_000 } });
    for (let i = 0; i < 70; i++) {
      const r = await h.app.inject({
        method: 'POST',
        url: '/realtime/auth',
        headers: auth(h.tokens.alice),
        payload: { socket_id: '123.456', channel_name: `private-user.${h.ids.alice}.bookings` },
      });
      expect(r.statusCode).not.toBe(429);
    }
  });

  it('a staff bulk run of 1,000 changes is not throttled by default', async () => {
    h = await makeHarness({ config: { rateLimitUser: 60, rateLimitStaff: 60_000 } });
    // a release is a mutation that spends the budget like any other; unknown tokens keep it cheap
    let limited = 0;
    let last: Awaited<ReturnType<typeof holdReq>> | undefined;
    for (let i = 0; i < 1000; i++) {
      last = await h.app.inject({
        method: 'DELETE',
        url: `/reservations/rsv_bulk_${i}`,
        headers: auth(h.tokens.staff),
      });
      if (last.statusCode === 429) limited++;
      else expect(last.statusCode).toBe(404);
    }
    expect(last!.headers['x-ratelimit-limit']).toBe('60000');
    expect(last!.headers['x-ratelimit-remaining']).toBe('59000');
    expect(limited).toBe(0);
  });

  it('0 turns a limit off', async () => {
    h = await makeHarness({ config: { rateLimitUser: 0, rateLimitStaff: 0 } });
    const slot = (await slotsOf(h, DAY)).timeslots[0].id;
    for (let i = 0; i < 80; i++) {
      const r = await holdReq(h, h.tokens.alice, slot, h.ids.alice);
      expect(r.statusCode).not.toBe(429);
      expect(r.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });

  it('brakes failed authentications per IP (100 a minute by default) with 429 and Retry-After', async () => {
    h = await makeHarness();
    for (let i = 0; i < 100; i++) {
      const r = await h.app.inject({ method: 'GET', url: '/me', headers: auth(`wrong-${i}`) });
      expect(r.statusCode).toBe(401);
    }
    // the brake holds guessing back; a valid token is never refused for others' failures (12.3)
    const r = await h.app.inject({ method: 'GET', url: '/me', headers: auth('wrong-again') });
    expect(r.statusCode).toBe(429);
    expect(r.json().code).toBe('rate_limited');
    expect(
      (await h.app.inject({ method: 'GET', url: '/me', headers: auth(h.tokens.alice) })).statusCode,
    ).toBe(200);
    expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    // another address is not braked: its bad token is a plain 401
    const other = await h.app.inject({
      method: 'GET',
      url: '/me',
      headers: auth('wrong-elsewhere'),
      remoteAddress: '10.9.8.7',
    });
    expect(other.statusCode).toBe(401);
  });
});
