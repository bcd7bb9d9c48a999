import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calendarParts, type SmtpSink, startSmtpSink } from '../../server/notifications/testing.js';
import { signatureHeader } from '../../server/webhooks/signature.js';
import { stmt } from '../../server/db/open.js';
import {
  api,
  dropBackend,
  openServerDatabase,
  type ServerProcess,
  startServerProcess,
} from '../server-process.js';

/**
 * The jobs inside the real server process (Bree worker threads from dist): a booking made
 * over HTTP reaches a real SMTP server with no test code in between, SIGTERM stops the jobs
 * cleanly, the ICS export runs on its schedule, and a failing job leaves the server up.
 */
const SECRET = 'whsec_e2e';
let sink: SmtpSink;
let dataDir: string;
let closedPort: number;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => T | Promise<T>, ms: number, what: string): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function start(): Promise<ServerProcess> {
  return startServerProcess({
    dataDir,
    env: {
      APPT_SMTP_URL: sink.url,
      APPT_WEBHOOK_SECRET: SECRET,
      // a push gateway that is down: its failures must not disturb anything else
      APPT_PUSH_WEBHOOK_URL: `http://127.0.0.1:${closedPort}/push`,
      APPT_RATE_LIMIT_STAFF: '0',
    },
  });
}

beforeAll(async () => {
  sink = await startSmtpSink();
  dataDir = mkdtempSync(join(tmpdir(), 'appt-jobs-e2e-'));
  closedPort = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
});
afterAll(async () => {
  await sink.close();
  rmSync(dataDir, { recursive: true, force: true });
  await dropBackend(dataDir);
});

async function seed(srv: ServerProcess) {
  const admin = srv.adminToken;
  const p = await api(srv.url, admin, 'POST', '/admin/providers', {
    name: 'Jobs Clinic',
    timezone: 'Europe/London',
    email: 'clinic@example.com',
  });
  await api(
    srv.url,
    admin,
    'PUT',
    `/admin/providers/${p.json.id}/hours`,
    [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
  );
  const s = await api(srv.url, admin, 'POST', '/admin/services', {
    providerId: p.json.id,
    title: 'Check-up',
    durationMinutes: 30,
    priceCents: 1000,
  });
  const u = await api(srv.url, admin, 'POST', '/admin/users', { name: 'Jo', email: 'jo@example.com' });
  return { providerId: p.json.id as string, serviceId: s.json.id as string, userId: u.json.id as string };
}

async function book(srv: ServerProcess, cat: Awaited<ReturnType<typeof seed>>, index: number) {
  const day = await api(
    srv.url,
    srv.adminToken,
    'GET',
    // three days ahead: outside the 24 h reminder window, so only the booking emails go out
    `/providers/${cat.providerId}/availability?serviceId=${cat.serviceId}&date=${new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10)}`,
  );
  const slot = day.json.timeslots.filter((s: { status: string }) => s.status === 'available')[index];
  const hold = await api(srv.url, srv.adminToken, 'POST', '/reservations', {
    providerId: cat.providerId,
    serviceId: cat.serviceId,
    timeslotId: slot.id,
    userId: cat.userId,
  });
  const b = await api(
    srv.url,
    srv.adminToken,
    'POST',
    '/bookings',
    { reservationToken: hold.json.reservationToken, userId: cat.userId },
    { 'idempotency-key': `jobs-e2e-${index}-${Date.now()}` },
  );
  expect(b.status).toBe(201);
  return b.json as { id: string; version: number };
}

describe('jobs in the real server process', () => {
  let cat: Awaited<ReturnType<typeof seed>>;
  let apptId: string;

  it('a booking over HTTP reaches the SMTP server: one email per recipient, with an invite; status visible', async () => {
    const srv = await start();
    try {
      cat = await seed(srv);
      const t0 = Date.now();
      const a = await book(srv, cat, 0);
      apptId = a.id;
      await until(() => sink.messages.length >= 2, 20_000, 'two emails');
      const latency = Date.now() - t0;
      console.log(`jobs e2e: booking → both emails at the SMTP server in ${latency} ms`);
      await sleep(300);
      expect(sink.messages.map((m) => m.to[0]).sort()).toEqual(['clinic@example.com', 'jo@example.com']);
      for (const m of sink.messages) {
        const ev = new ICAL.Component(ICAL.parse(calendarParts(m.raw)[0].ics)).getFirstSubcomponent(
          'vevent',
        )!;
        expect(ev.getFirstPropertyValue('uid')).toBe(a.id);
      }
      const shown = await until(
        async () => {
          const r = await api(srv.url, srv.adminToken, 'GET', `/appointments/${a.id}`);
          const n = r.json.notifications as { channel: string; status: string; lastError: string | null }[];
          return n.some((x) => x.channel === 'push' && x.lastError) &&
            n.filter((x) => x.status === 'sent').length === 2
            ? n
            : null;
        },
        20_000,
        'notification status',
      );
      expect(shown.find((x) => x.channel === 'push')).toMatchObject({ status: 'queued' });
      expect(shown.find((x) => x.channel === 'push')!.lastError).toMatch(/network/);
      // the gateway reports delivery through the signed webhook
      const body = JSON.stringify({
        messageId: sink.messages[0].messageId,
        status: 'delivered',
        at: new Date().toISOString(),
      });
      const r = await fetch(`${srv.url}/webhooks/notifications`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'appt-signature': signatureHeader(SECRET, body, Date.now()),
        },
        body,
      });
      expect(r.status).toBe(200);
      const ready = await api(srv.url, srv.adminToken, 'GET', '/readyz');
      expect(ready.status).toBe(200);
    } finally {
      const t = Date.now();
      const code = await srv.stop('SIGTERM');
      console.log(`jobs e2e: SIGTERM → exit ${code} in ${Date.now() - t} ms`);
      expect(code).toBe(0);
    }
  }, 90_000);

  it('after a restart the ICS export job writes exports/<provider>.ics and the feed serves the same calendar', async () => {
    // on PostgreSQL the export runs once per 5-minute interval across processes (job_runs);
    // the first server's run claimed this one: move that time on, as for the crash test's leases
    const before = await openServerDatabase(dataDir);
    if (before.dialect === 'pg') await before.run("DELETE FROM job_runs WHERE name = 'ics-export'");
    await before.close();
    const srv = await start();
    try {
      const file = join(dataDir, 'exports', `${cat.providerId}.ics`);
      await until(
        () => existsSync(file) && readFileSync(file, 'utf8').includes(apptId),
        20_000,
        'the export file',
      );
      const ev = new ICAL.Component(ICAL.parse(readFileSync(file, 'utf8'))).getFirstSubcomponent('vevent')!;
      expect(ev.getFirstPropertyValue('uid')).toBe(apptId);
      const db = await openServerDatabase(dataDir);
      const { feed_token } = (await stmt(db, 'SELECT feed_token FROM providers WHERE id = ?').get(
        cat.providerId,
      )) as {
        feed_token: string;
      };
      await db.close();
      const feed = await fetch(`${srv.url}/providers/${cat.providerId}/calendar.ics?token=${feed_token}`);
      expect(feed.status).toBe(200);
      expect(await feed.text()).toContain(`UID:${apptId}`);
      // nothing was sent twice across the restart
      expect(new Set(sink.messages.map((m) => m.messageId)).size).toBe(sink.messages.length);
    } finally {
      expect(await srv.stop('SIGTERM')).toBe(0);
    }
  }, 90_000);

  it('a job that fails on every run (export dir is a file) leaves the server and the other jobs working', async () => {
    rmSync(join(dataDir, 'exports'), { recursive: true, force: true });
    writeFileSync(join(dataDir, 'exports'), 'not a directory');
    const srv = await start();
    try {
      const before = sink.messages.length;
      await book(srv, cat, 3);
      await until(() => sink.messages.length >= before + 2, 20_000, 'emails while a job keeps failing');
      const health = await api(srv.url, srv.adminToken, 'GET', '/healthz');
      expect(health.status).toBe(200);
      expect(srv.child.exitCode).toBeNull();
    } finally {
      expect(await srv.stop('SIGTERM')).toBe(0);
    }
  }, 90_000);
});
