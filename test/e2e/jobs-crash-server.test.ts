import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../server/notifications/testing.js';
import { stmt } from '../../server/db/open.js';
import { api, openServerDatabase, type ServerProcess, startServerProcess } from '../server-process.js';

/**
 * The crash scenario on the real server: `bin/appt serve` (Bree worker threads) is
 * SIGKILLed while 500 emails are going out, then restarted on the same data directory.
 * The SMTP sink must end with all 500 Message-IDs; a duplicate may only be a message that
 * was in flight at the kill, and there can be no more than the sender's concurrency (4).
 */
const CONCURRENCY = 4;
let sink: SmtpSink;
let srv: ServerProcess;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const env = () => ({ APPT_SMTP_URL: sink.url, APPT_RATE_LIMIT_STAFF: '0', APPT_RATE_LIMIT_USER: '0' });

beforeAll(async () => {
  sink = await startSmtpSink({ delayMs: 5 });
  srv = await startServerProcess({ env: env() });
});
afterAll(async () => {
  if (srv.child.exitCode === null && srv.child.signalCode === null) await srv.stop('SIGKILL');
  await srv.cleanup();
  await sink.close();
});

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('SIGKILL the server mid-send, restart', () => {
  it('all 500 Message-IDs arrive; duplicates only from the in-flight set, at most the concurrency', async () => {
    const admin = srv.adminToken;
    const p = await api(srv.url, admin, 'POST', '/admin/providers', {
      name: 'Crash Clinic',
      timezone: 'UTC',
      email: 'clinic@example.com',
    });
    const providerId = p.json.id as string;
    await api(
      srv.url,
      admin,
      'PUT',
      `/admin/providers/${providerId}/hours`,
      [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '06:00', end: '18:00' })),
    );
    const s = await api(srv.url, admin, 'POST', '/admin/services', {
      providerId,
      title: 'Visit',
      durationMinutes: 30,
      priceCents: 100,
    });
    const u = await api(srv.url, admin, 'POST', '/admin/users', { name: 'Kim', email: 'kim@example.com' });
    // the sink holds its replies while we book, so delivery is still under way when we kill
    sink.pause();
    const slots: string[] = [];
    for (let day = 2; slots.length < 250; day++) {
      const date = new Date(Date.now() + day * 86_400_000).toISOString().slice(0, 10);
      const r = await api(
        srv.url,
        admin,
        'GET',
        `/providers/${providerId}/availability?serviceId=${s.json.id}&date=${date}`,
      );
      for (const t of r.json.timeslots as { id: string; status: string }[])
        if (t.status === 'available') slots.push(t.id);
    }
    let k = 0;
    const lane = async () => {
      while (k < 250) {
        const timeslotId = slots[k++];
        const hold = await api(srv.url, admin, 'POST', '/reservations', {
          providerId,
          serviceId: s.json.id,
          timeslotId,
          userId: u.json.id,
        });
        const b = await api(
          srv.url,
          admin,
          'POST',
          '/bookings',
          { reservationToken: hold.json.reservationToken, userId: u.json.id },
          { 'idempotency-key': `crash-${timeslotId}` },
        );
        if (b.status !== 201) throw new Error(`booking ${b.status} ${b.text}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, lane));
    const db = await openServerDatabase(srv.dataDir);
    const count = async (sql: string) => ((await stmt(db, sql).get()) as { n: number }).n;
    try {
      await until(
        async () => (await count('SELECT count(*) AS n FROM notifications')) === 500,
        30_000,
        '500 queued notifications',
      );
      sink.resume();
      await until(() => sink.messages.length >= 150, 30_000, 'the server to be mid-way through sending');
      await srv.stop('SIGKILL');
      const atKill = sink.messages.length;
      expect(atKill).toBeLessThan(500);
      await sleep(50);
      const receivedByKill = new Set(sink.messages.map((m) => m.messageId));
      const unsentAtKill = new Set(
        (
          await stmt<{ message_id: string }>(
            db,
            `SELECT message_id FROM notifications WHERE status = 'queued'`,
          ).all()
        ).map((r) => r.message_id),
      );
      const claimed = await count(
        `SELECT count(*) AS n FROM notifications WHERE status = 'queued' AND claimed_until IS NOT NULL`,
      );
      expect(claimed).toBeLessThanOrEqual(CONCURRENCY);
      // the dead server's claims would lapse after their lease (minutes); move that time on
      await stmt(db, `UPDATE notifications SET claimed_until = NULL WHERE status = 'queued'`).run();

      srv = await startServerProcess({ dataDir: srv.dataDir, env: env() });
      await until(
        async () => (await count(`SELECT count(*) AS n FROM notifications WHERE status = 'sent'`)) === 500,
        60_000,
        'all 500 sent',
      );
      const ids = sink.messages.map((m) => m.messageId!);
      expect(new Set(ids).size).toBe(500);
      const seen = new Map<string, number>();
      for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
      const dups = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
      expect(dups.length).toBeLessThanOrEqual(CONCURRENCY);
      for (const id of dups) {
        expect(seen.get(id)).toBe(2);
        expect(receivedByKill.has(id)).toBe(true);
        expect(unsentAtKill.has(id)).toBe(true);
      }
      console.log(
        `server crash test: SIGKILL after ${atKill} of 500 emails, ${claimed} claimed in flight, ${dups.length} duplicate(s) after restart`,
      );
    } finally {
      await db.close();
      await srv.stop('SIGTERM');
    }
  }, 180_000);
});
