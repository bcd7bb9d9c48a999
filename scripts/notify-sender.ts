import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../server/config.js';
import { systemClock } from '../server/context.js';
import { openDatabase } from '../server/db/open.js';
import { closeTransports, drainNotifications, transportsFrom } from '../server/notifications/send.js';

/**
 * A standalone notification sender: the same loop as the notification-send job, in its
 * own process against the server's SQLite file. The crash test SIGKILLs it mid-send and
 * starts it again. Usage:
 *   node dist/scripts/notify-sender.js --data-dir DIR [--concurrency 4] [--lease-ms 120000] [--once]
 * Email goes to APPT_SMTP_URL (or .eml files). Status lines on stderr.
 */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      'lease-ms': { type: 'string', default: '120000' },
      'idle-ms': { type: 'string', default: '100' },
      once: { type: 'boolean', default: false },
    },
  });
  const config = loadConfig({ dataDir: values['data-dir'], logLevel: 'silent' });
  const db = await openDatabase(config, { migrate: false }); // SQLite file, or APPT_DATABASE_URL
  const deps = { db, clock: systemClock, config, logger: pino({ level: 'silent' }) };
  const concurrency = Number(values.concurrency);
  const transports = transportsFrom(deps, { concurrency });
  const abort = new AbortController();
  process.on('SIGTERM', () => abort.abort());
  process.stderr.write(`sender ${process.pid} started (concurrency ${concurrency})\n`);
  let total = 0;
  while (!abort.signal.aborted) {
    const r = await drainNotifications(deps, transports, {
      concurrency,
      leaseMs: Number(values['lease-ms']),
      signal: abort.signal,
      maxRounds: 1,
    });
    total += r.sent;
    if (r.claimed > 0) process.stderr.write(`sent ${total}\n`);
    else if (values.once) break;
    else await new Promise((res) => setTimeout(res, Number(values['idle-ms'])));
  }
  closeTransports(transports);
  await db.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  });
}
