import { type ChildProcess, spawn } from 'node:child_process';
import { stmt } from '../../server/db/open.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobDeps } from '../../server/jobs/testing.js';
import { dispatchOutbox } from '../../server/notifications/dispatch.js';
import { type SmtpSink, startSmtpSink } from '../../server/notifications/testing.js';
import { bookVia, type Harness, makeHarness, slotsOf } from '../../server/testing/harness.js';
import { ROOT } from '../server-process.js';

/**
 * Delivery guarantee under a crash: the compiled sender loop (a separate process on the
 * same database:
 * the SQLite file, or the harness's PostgreSQL database in the PostgreSQL run) is SIGKILLed while 500 emails are going out, then started again. The
 * real SMTP sink must hold all 500 Message-IDs; a duplicate may only be a message that was
 * in flight at the kill, and there can be no more of those than the sender's concurrency.
 */
const CONCURRENCY = 4;
const LEASE_MS = 1500;
const DRIVER = join(ROOT, 'dist', 'scripts', 'notify-sender.js');

let h: Harness;
let sink: SmtpSink;
const children: ChildProcess[] = [];

function startSender(): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      DRIVER,
      '--data-dir',
      h.dir,
      '--concurrency',
      String(CONCURRENCY),
      '--lease-ms',
      String(LEASE_MS),
      '--idle-ms',
      '50',
    ],
    {
      env: {
        ...process.env,
        APPT_SMTP_URL: sink.url,
        ...(h.ctx.config.databaseUrl ? { APPT_DATABASE_URL: h.ctx.config.databaseUrl } : {}),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.push(child);
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

beforeAll(async () => {
  // the child runs on the system clock, so the harness's clock is "now" too
  sink = await startSmtpSink({ delayMs: 8 });
  h = await makeHarness({ now: new Date().toISOString(), config: { smtpUrl: sink.url } });
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await h.close();
  await sink.close();
});

describe('crash while sending (SIGKILL mid-flight, restart)', () => {
  it('500 emails: all delivered, duplicates only among the in-flight ones, at most the concurrency', async () => {
    // 250 real bookings → 250 booking.confirmed events → 500 emails (customer + provider)
    let booked = 0;
    for (let day = 2; booked < 250; day++) {
      const date = new Date(Date.now() + day * 86_400_000).toISOString().slice(0, 10);
      for (const s of (await slotsOf(h, date)).timeslots) {
        if (booked === 250) break;
        if (s.status !== 'available') continue;
        await bookVia(h, s.id);
        booked++;
      }
    }
    expect((await dispatchOutbox(jobDeps(h))).notifications).toBe(500);
    const count = async (sql: string) => ((await stmt(h.ctx.db, sql).get()) as { n: number }).n;
    expect(await count(`SELECT count(*) AS n FROM notifications WHERE status = 'queued'`)).toBe(500);

    const first = startSender();
    await until(() => sink.messages.length >= 150, 60_000, 'the first sender to be mid-way');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = sink.messages.length;
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(500); // killed while sending, not after
    // what the dead sender left claimed but not marked sent: the in-flight set is inside it
    await sleep(50); // the sink finishes DATA phases that were already complete
    const receivedByKill = new Set(sink.messages.map((m) => m.messageId));
    const unsentAtKill = new Set(
      (
        await stmt<{ message_id: string }>(
          h.ctx.db,
          `SELECT message_id FROM notifications WHERE status = 'queued'`,
        ).all()
      ).map((r) => r.message_id),
    );
    const sentAtKill = await count(`SELECT count(*) AS n FROM notifications WHERE status = 'sent'`);
    expect(sentAtKill).toBeLessThan(500);

    await sleep(LEASE_MS); // the dead sender's claims lapse
    const second = startSender();
    await until(
      async () => (await count(`SELECT count(*) AS n FROM notifications WHERE status = 'sent'`)) === 500,
      60_000,
      'all 500 sent',
    );
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));

    const ids = sink.messages.map((m) => m.messageId!);
    const distinct = new Set(ids);
    expect(distinct.size).toBe(500);
    const expected = new Set(
      (await stmt<{ message_id: string }>(h.ctx.db, 'SELECT message_id FROM notifications').all()).map(
        (r) => r.message_id,
      ),
    );
    expect([...distinct].every((id) => expected.has(id))).toBe(true);
    const seen = new Map<string, number>();
    for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
    const dups = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    expect(dups.length).toBeLessThanOrEqual(CONCURRENCY);
    for (const id of dups) {
      expect(seen.get(id)).toBe(2);
      expect(receivedByKill.has(id)).toBe(true); // the sink had it when the sender died …
      expect(unsentAtKill.has(id)).toBe(true); // … but the sender never recorded it as sent
    }
    console.log(
      `crash test: killed after ${atKill} of 500 messages (${sentAtKill} marked sent), ${ids.length} received, ${dups.length} duplicate(s)`,
    );
  }, 180_000);
});
