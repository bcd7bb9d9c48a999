import pino from 'pino';
import { dispatchOutbox } from '../server/notifications/dispatch.js';
import { closeTransports, drainNotifications, transportsFrom } from '../server/notifications/send.js';
import { startSmtpSink } from '../server/notifications/testing.js';
import { bookVia, makeHarness, slotsOf } from '../server/testing/harness.js';

/**
 * Delivery throughput on this machine: N bookings → outbox → 2N emails, dispatched and sent
 * to a real local SMTP server (smtp-server) and to .eml files. Usage:
 *   node dist/scripts/notify-bench.js [bookings=250] [concurrency=4]
 */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  const n = Number(argv[0] ?? 250);
  const concurrency = Number(argv[1] ?? 4);
  const sink = await startSmtpSink();
  const h = await makeHarness({ now: new Date().toISOString(), config: { smtpUrl: sink.url } });
  try {
    let booked = 0;
    for (let day = 2; booked < n; day++) {
      const date = new Date(Date.now() + day * 86_400_000).toISOString().slice(0, 10);
      for (const s of (await slotsOf(h, date)).timeslots) {
        if (booked === n) break;
        await bookVia(h, s.id);
        booked++;
      }
    }
    const deps = {
      db: h.ctx.db,
      clock: h.ctx.clock,
      config: h.ctx.config,
      logger: pino({ level: 'silent' }),
    };
    let t = performance.now();
    const d = await dispatchOutbox(deps);
    const dispatchMs = performance.now() - t;
    const line = (what: string, count: number, ms: number) =>
      console.log(
        `${what.padEnd(34)} ${String(count).padStart(5)} in ${ms.toFixed(0).padStart(6)} ms = ${((count / ms) * 1000).toFixed(0)}/s`,
      );
    line('dispatch (events → rows)', d.events, dispatchMs);
    let tr = transportsFrom(deps, { concurrency });
    t = performance.now();
    const smtp = await drainNotifications(deps, tr, { concurrency });
    line(`send SMTP (concurrency ${concurrency})`, smtp.sent, performance.now() - t);
    closeTransports(tr);
    await h.ctx.db.run(`UPDATE notifications SET status = 'queued', attempts = 0`);
    h.ctx.config.smtpUrl = undefined;
    tr = transportsFrom(deps, { concurrency });
    t = performance.now();
    const eml = await drainNotifications(deps, tr, { concurrency });
    line(`write .eml (concurrency ${concurrency})`, eml.sent, performance.now() - t);
    closeTransports(tr);
  } finally {
    await h.close();
    await sink.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  });
}
