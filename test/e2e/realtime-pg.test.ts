import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { record } from '../../server/realtime/testing.js';
import { freshPgDatabase, requirePg } from '../../server/testing/pg.js';
import { api, type ServerProcess, seedCatalog, startServerProcess } from '../server-process.js';

/**
 * Issue 11 §5, realtime across processes: two `appt serve` processes (two data
 * directories, so two sets of generated secrets) on one PostgreSQL database. A change made
 * through process A reaches an unmodified pusher-js client connected to process B — the
 * public availability channel and the customer's private channel, signed by B.
 */
const present = requirePg('test/e2e/realtime-pg.test.ts');

describe.skipIf(!present)('11.5 realtime across processes (PostgreSQL LISTEN/NOTIFY)', () => {
  let db: { url: string; drop(): Promise<void> };
  let a: ServerProcess;
  let b: ServerProcess;
  let cat: Awaited<ReturnType<typeof seedCatalog>>;
  let userToken: string;
  beforeAll(async () => {
    db = await freshPgDatabase();
    const env = { APPT_DATABASE_URL: db.url, APPT_RATE_LIMIT_STAFF: '0', APPT_RATE_LIMIT_USER: '0' };
    a = await startServerProcess({ env });
    // B's own data directory (its own generated secrets); the admin token lives in the
    // shared database, so B is given A's token file rather than minting another
    const bDir = mkdtempSync(join(tmpdir(), 'appt-e2e-b-'));
    copyFileSync(join(a.dataDir, 'admin.token'), join(bDir, 'admin.token'));
    b = await startServerProcess({ env, dataDir: bDir });
    cat = await seedCatalog(a.url, a.adminToken);
    userToken = (
      await api(a.url, a.adminToken, 'POST', '/admin/tokens', { name: 'c', role: 'user', userId: cat.userId })
    ).json.token;
  }, 120_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await a?.cleanup();
    await b?.cleanup();
    await db?.drop();
  });

  it('a hold and a booking on A reach a pusher-js client on B; a cancel on A reaches the customer on B', async () => {
    // both processes give clients the same key: the first one's generated secrets are shared
    const [ca, cb] = await Promise.all(
      [a, b].map(async (s) => (await api(s.url, userToken, 'GET', '/realtime/config')).json),
    );
    expect(cb.key).toBe(ca.key);

    const staffOnB = await record({ server: b.url, token: cat.staff, providerIds: [cat.providerId] });
    const customerOnB = await record({ server: b.url, token: userToken, userIds: [cat.userId] });
    try {
      await staffOnB.subscribed(`provider.${cat.providerId}.availability`);
      await customerOnB.subscribed(`private-user.${cat.userId}.bookings`);
      const day = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
      const slots = (
        await api(
          a.url,
          cat.staff,
          'GET',
          `/providers/${cat.providerId}/availability?serviceId=${cat.s30}&date=${day}`,
        )
      ).json.timeslots;
      const t0 = Date.now();
      const hold = await api(a.url, cat.staff, 'POST', '/reservations', {
        providerId: cat.providerId,
        serviceId: cat.s30,
        timeslotId: slots[2].id,
        userId: cat.userId,
      });
      expect(hold.status).toBe(201);
      const seen = await staffOnB.next(
        (e) =>
          e.event === 'timeslot.updated' && (e.data as { timeslotId: string }).timeslotId === slots[2].id,
        10_000,
      );
      const lag = Date.now() - t0;
      expect((seen.data as { status: string }).status).toBe('reserved');

      const booked = await api(
        a.url,
        cat.staff,
        'POST',
        '/bookings',
        { reservationToken: hold.json.reservationToken, userId: cat.userId },
        { 'idempotency-key': 'pg-rt-book' },
      );
      expect(booked.status).toBe(201);
      await customerOnB.next((e) => e.event === 'booking.confirmed', 10_000);
      const cancelled = await api(
        a.url,
        cat.staff,
        'POST',
        `/appointments/${booked.json.id}/cancel`,
        {},
        { 'idempotency-key': 'pg-rt-cancel' },
      );
      expect(cancelled.status).toBe(200);
      const ev = await customerOnB.next((e) => e.event === 'booking.cancelled', 10_000);
      expect((ev.data as { appointment: { id: string } }).appointment.id).toBe(booked.json.id);
      // each event once on B, not once per process
      expect(customerOnB.events.filter((e) => e.event === 'booking.cancelled')).toHaveLength(1);
      console.log(`realtime across processes: hold on A → timeslot.updated on B in ${lag} ms`);
    } finally {
      staffOnB.close();
      customerOnB.close();
    }
  }, 60_000);
});
