import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../audit/audit.js';
import { buildApp } from '../app.js';
import { createContext } from '../context.js';
import { checkInvariants } from '../invariants/check.js';
import { jobDeps } from '../jobs/testing.js';
import { dispatchOutbox } from '../notifications/dispatch.js';
import { claimDue } from '../notifications/send.js';
import { auth, type Harness, makeHarness, slotsOf, holdVia } from '../testing/harness.js';
import { freshPgDatabase, requirePg } from '../testing/pg.js';
import { openPg } from './open.js';
import type { Db } from './port.js';

/**
 * The guarantees on PostgreSQL (issue 11 §4), with two app instances on one database —
 * each with its own connection pool, as two server processes would have — racing each
 * other: one slot, one idempotency key, one audit chain, one notification queue.
 */
const present = requirePg('server/db/pg.test.ts');

describe.skipIf(!present)('PostgreSQL backend', () => {
  let db: { url: string; drop(): Promise<void> };
  let h: Harness;
  let second: Awaited<ReturnType<typeof buildApp>>;
  let secondDb: Db;
  beforeAll(async () => {
    db = await freshPgDatabase();
    h = await makeHarness({ config: { databaseUrl: db.url, maxHoldsPerUser: 0 } });
    secondDb = await openPg(db.url);
    second = await buildApp(await createContext(h.ctx.config, { clock: h.clock, db: secondDb }));
    await second.ready();
  }, 60_000);
  afterAll(async () => {
    await second?.close();
    await secondDb?.close();
    await h?.close();
    await db?.drop();
  });
  const apps = () => [h.app, second];

  it('four processes migrating one empty database at once all come up', async () => {
    const fresh = await freshPgDatabase();
    try {
      const dbs = await Promise.all([1, 2, 3, 4].map(() => openPg(fresh.url, { max: 2 })));
      const rows = await dbs[0].all<{ name: string }>('SELECT name FROM appt_migrations ORDER BY name');
      expect(rows.map((r) => r.name)).toEqual([
        '0000_init.sql',
        '0001_guarantees.sql',
        '0003_catalog_edits.sql',
      ]);
      await Promise.all(dbs.map((d) => d.close()));
    } finally {
      await fresh.drop();
    }
  }, 60_000);

  it('a 200-way race for one slot over two instances: exactly one 201, 199 slot_taken, no 5xx', async () => {
    const slot = (await slotsOf(h, '2030-01-21')).timeslots[3];
    const codes = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        apps()
          [i % 2].inject({
            method: 'POST',
            url: '/reservations',
            headers: auth(h.tokens.staff),
            payload: {
              providerId: h.ids.provider,
              serviceId: h.ids.service,
              timeslotId: slot.id,
              userId: h.ids.alice,
            },
          })
          .then((r) => (r.statusCode === 409 ? r.json().code : r.statusCode)),
      ),
    );
    const tally: Record<string, number> = {};
    for (const c of codes) tally[c] = (tally[c] ?? 0) + 1;
    expect(tally).toEqual({ 201: 1, slot_taken: 199 });
  }, 120_000);

  it('overlapping services across instances: a 60-minute and a 30-minute hold on the same time, one wins', async () => {
    const day = '2030-01-22';
    const s30 = (await slotsOf(h, day)).timeslots.find((s) => s.start.endsWith('15:30:00.000Z'))!;
    const s60 = (await slotsOf(h, day, h.ids.service60)).timeslots.find((s) =>
      s.start.endsWith('15:00:00.000Z'),
    )!;
    const [a, b] = await Promise.all([
      holdVia(h, { timeslotId: s30.id, userId: h.ids.alice }),
      holdVia(h, { serviceId: h.ids.service60, timeslotId: s60.id, userId: h.ids.bob }, { app: second }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
  }, 60_000);

  it('one idempotency key sent to both instances at once: one effect, identical bodies', async () => {
    const slot = (await slotsOf(h, '2030-01-23')).timeslots[2];
    const hold = await holdVia(h, { timeslotId: slot.id, userId: h.ids.bob });
    expect(hold.statusCode).toBe(201);
    const send = (i: number) =>
      apps()[i % 2].inject({
        method: 'POST',
        url: '/bookings',
        headers: auth(h.tokens.staff, { 'idempotency-key': 'pg-race-key-1' }),
        payload: { reservationToken: hold.json().reservationToken, userId: h.ids.bob },
      });
    const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => send(i)));
    const ok = rs.filter((r) => r.statusCode === 201);
    // the rest are either the same response replayed or told the first is in flight
    for (const r of rs) expect([201, 409]).toContain(r.statusCode);
    for (const r of rs.filter((x) => x.statusCode === 409))
      expect(r.json().code).toBe('idempotency_in_flight');
    expect(new Set(ok.map((r) => r.body)).size).toBe(1);
    const after = await send(0);
    expect(after.statusCode).toBe(201);
    expect(after.body).toBe(ok[0].body);
    const n = await h.ctx.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM audit_entries WHERE action = 'created' AND idempotency_key = ?",
      ['pg-race-key-1'],
    );
    expect(n?.n).toBe(1);
  }, 60_000);

  it('the audit chain cannot fork: 60 concurrent writes to one chain from two instances verify', async () => {
    const rs = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        apps()[i % 2].inject({
          method: 'POST',
          url: '/admin/users',
          headers: auth(h.tokens.admin),
          payload: { name: `Racer ${i}`, email: `racer${i}@example.com` },
        }),
      ),
    );
    expect(rs.filter((r) => r.statusCode !== 201).map((r) => r.body)).toEqual([]);
    expect(await verifyAudit(h.ctx.db)).toMatchObject({ ok: true });
    expect(await checkInvariants(h.ctx.db, h.clock.now())).toMatchObject({ ok: true });
    // the database refuses to rewrite history
    await expect(h.ctx.db.run("UPDATE audit_entries SET reason = 'x'")).rejects.toThrow(/append-only/);
  }, 60_000);

  it('every notification is claimed once with two senders on two pools', async () => {
    const deps1 = jobDeps(h);
    const deps2 = { ...deps1, db: secondDb };
    await Promise.all([dispatchOutbox(deps1), dispatchOutbox(deps2)]);
    const queued = await h.ctx.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM notifications WHERE status = 'queued'",
    );
    expect(queued!.n).toBeGreaterThan(0);
    const now = h.clock.now();
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => claimDue(i % 2 ? secondDb : h.ctx.db, now, 5, 60_000)),
    );
    const ids = claims.flat().map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(Math.min(queued!.n, 40));
  }, 60_000);
});
