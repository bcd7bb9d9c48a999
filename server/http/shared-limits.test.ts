import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { Bus, createContext, type DomainEvent } from '../context.js';
import { openPg } from '../db/open.js';
import type { Db } from '../db/port.js';
import { jobDeps } from '../jobs/testing.js';
import { oncePerInterval } from '../jobs/periodic.js';
import { write } from '../outbox/write.js';
import { sweepExpired } from '../reservations/reservations.js';
import { auth, type Harness, holdVia, makeHarness, slotsOf } from '../testing/harness.js';
import { freshPgDatabase, requirePg } from '../testing/pg.js';

/**
 * Limits shared across processes (issue 11 §6): two app instances on one PostgreSQL
 * database — each with its own pool, as two server processes — count one budget per token
 * and one failed-auth brake per address. With the in-process store each instance would
 * allow the whole budget on its own.
 */
const present = requirePg('server/http/shared-limits.test.ts');

describe.skipIf(!present)('limits shared by two instances on one PostgreSQL database', () => {
  const LIMIT = 6;
  const FAILURES = 10;
  let pgdb: { url: string; drop(): Promise<void> };
  let h: Harness;
  let second: Awaited<ReturnType<typeof buildApp>>;
  let secondDb: Db;
  beforeAll(async () => {
    pgdb = await freshPgDatabase();
    h = await makeHarness({
      config: {
        databaseUrl: pgdb.url,
        rateLimitUser: LIMIT,
        rateLimitStaff: 60_000,
        rateLimitAuthFailures: FAILURES,
      },
    });
    secondDb = await openPg(pgdb.url);
    second = await buildApp(await createContext(h.ctx.config, { clock: h.clock, db: secondDb }));
    await second.ready();
  }, 60_000);
  afterAll(async () => {
    await second?.close();
    await secondDb?.close();
    await h?.close();
    await pgdb?.drop();
  });

  it(`a user limit of ${LIMIT}/min: ${LIMIT + 1} mutations spread over both instances → exactly one 429`, async () => {
    const apps = [h.app, second];
    const statuses: number[] = [];
    for (let i = 0; i <= LIMIT; i++) {
      const r = await apps[i % 2].inject({
        method: 'DELETE',
        url: `/reservations/rsv_nothing_${i}`,
        headers: auth(h.tokens.alice),
      });
      statuses.push(r.statusCode);
      if (i < LIMIT) expect(r.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1 - i));
      else {
        expect(r.json()).toMatchObject({ code: 'rate_limited' });
        expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(404), 429]);
    // another token's budget is its own
    const bob = await second.inject({
      method: 'DELETE',
      url: '/reservations/rsv_x',
      headers: auth(h.tokens.bob),
    });
    expect(bob.statusCode).toBe(404);
  });

  it(`concurrent mutations on both instances are each counted once: ${LIMIT} pass, the rest 429`, async () => {
    const apps = [h.app, second];
    const rs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        apps[i % 2].inject({ method: 'DELETE', url: `/reservations/rsv_c${i}`, headers: auth(h.tokens.bob) }),
      ),
    );
    const tally: Record<number, number> = {};
    for (const r of rs) tally[r.statusCode] = (tally[r.statusCode] ?? 0) + 1;
    // bob spent one in the test before
    expect(tally).toEqual({ 404: LIMIT - 1, 429: 21 - LIMIT });
  });

  it(`bad tokens spread over both instances trip the brake after ${FAILURES} failures in all`, async () => {
    const apps = [h.app, second];
    const statuses: number[] = [];
    for (let i = 0; i < FAILURES + 3; i++) {
      const r = await apps[i % 2].inject({ method: 'GET', url: '/me', headers: auth(`guess-${i}`) });
      statuses.push(r.statusCode);
    }
    expect(statuses).toEqual([...Array(FAILURES).fill(401), 429, 429, 429]);
    // a valid token from the same address is never refused for others' failures
    expect(
      (await second.inject({ method: 'GET', url: '/me', headers: auth(h.tokens.alice) })).statusCode,
    ).toBe(200);
  });

  it('a periodic job ticked by both instances at once runs once per interval', async () => {
    let runs = 0;
    const job = oncePerInterval('test-once', 60_000, async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 50));
      return 'ran';
    });
    const deps = [jobDeps(h), { ...jobDeps(h), db: secondDb }];
    const signal = new AbortController().signal;
    const first = await Promise.all([0, 1, 0, 1].map((k) => job(deps[k], signal)));
    expect(runs).toBe(1);
    expect(first.filter((r) => r === 'ran')).toHaveLength(1);
    // a later tick in the same interval (another process) is skipped too
    expect(await job(deps[1], signal)).toMatchObject({ skipped: expect.any(String) });
    expect(runs).toBe(1);
  });

  it('two hold sweepers at once expire a lapsed hold once (one reservation.expired event each)', async () => {
    const expired: DomainEvent[] = [];
    const buses = [new Bus(), new Bus()];
    for (const bus of buses) bus.subscribe((e) => e.topic === 'reservation.expired' && expired.push(e));
    const ctxs = [
      { db: h.ctx.db, clock: h.clock, bus: buses[0] },
      { db: secondDb, clock: h.clock, bus: buses[1] },
    ];
    // a few rounds: the sweepers collide only when both read the hold before either commits
    const slots = (await slotsOf(h, '2030-01-22')).timeslots;
    for (let round = 0; round < 4; round++) {
      expect((await holdVia(h, { timeslotId: slots[round].id, userId: h.ids.alice })).statusCode).toBe(201);
      h.clock.advance(91_000);
      await Promise.all(ctxs.map((c) => write(c, async (w) => await sweepExpired(w.db, w))));
      expect(expired).toHaveLength(round + 1);
    }
  });
});
