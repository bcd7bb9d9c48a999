import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { BENCH_ENV, DAY, slotBody, utcMidnight } from './dataset.js';
import { api, must, pool, sleep, strArg } from './http.js';
import { isMain, startAppt } from './procs.js';
import { type Figure, fmt, printBenchJson, table } from './report.js';
import { seedCatalog } from './seed.js';

/**
 * Email delivery end to end: the real server process (bin/appt serve, its background jobs
 * in Bree worker threads) with APPT_SMTP_URL pointed at a bare smtp-server SMTPServer in
 * this process on 127.0.0.1, which counts what it receives. N bookings over HTTP (a hold
 * with POST /reservations, then a keyed POST /bookings on it, `concurrency` at a time), each
 * for a customer and a provider who both have an email address: booking.confirmed → outbox
 * → notifications → SMTP. The figure is the time from the first booking request until the
 * sink has every expected email (2 per booking), as emails per second; after that the sink
 * is watched a little longer to count emails per booking (a duplicate would show as > 2).
 * Bookings are 25+ days ahead, so no reminder is due during the run. Usage:
 *   node dist/scripts/bench/notify.js [bookings=250] [concurrency=4] [--deadline 120] [--bin path]
 */

export interface NotifyBenchOptions {
  bookings: number;
  /** bookings in flight at once over HTTP */
  concurrency: number;
  /** hard bound on the whole run */
  deadlineS: number;
  bin?: string;
  log?: (line: string) => void;
}

/** customer and provider: every seeded user and every provider here has an email address */
const EMAILS_PER_BOOKING = 2;
const PROVIDERS = 4;
const USERS = 8;

interface Sink {
  url: string;
  /** performance.now() of every accepted message, in order of arrival */
  at: number[];
  /** accepted messages by recipient address */
  to: Map<string, number>;
  close(): Promise<void>;
}

/** A bare SMTP server that accepts everything and keeps only counts and arrival times. */
async function startSink(): Promise<Sink> {
  const at: number[] = [];
  const to = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    // the server's pooled connections are gone once it has stopped; do not wait 30 s for stragglers
    closeTimeout: 2_000,
    onData(stream, session, callback) {
      stream.on('error', () => {});
      stream.resume();
      stream.on('end', () => {
        at.push(performance.now());
        for (const r of session.envelope.rcptTo) to.set(r.address, (to.get(r.address) ?? 0) + 1);
        callback();
      });
    },
  });
  server.on('error', () => {}); // a connection reset when the server stops is not a sink failure
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    at,
    to,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function runNotifyBench(o: NotifyBenchOptions): Promise<{ figures: Figure[]; notes: string[] }> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const deadline = performance.now() + o.deadlineS * 1000;
  const left = (what: string) => {
    if (performance.now() > deadline) throw new Error(`bench exceeded its ${o.deadlineS} s bound ${what}`);
  };
  const sink = await startSink();
  const dataDir = mkdtempSync(join(tmpdir(), 'appt-bench-notify-'));
  let srv: Awaited<ReturnType<typeof startAppt>> | undefined;
  try {
    srv = await startAppt({
      dataDir,
      env: { ...BENCH_ENV, APPT_SMTP_URL: sink.url },
      ...(o.bin ? { bin: o.bin } : {}),
    });
    const cat = await seedCatalog(srv.url, srv.adminToken, { providers: PROVIDERS, users: USERS });
    // seedCatalog's providers have no email address: give them one, so the provider's copy goes too
    for (const [i, p] of cat.providers.entries())
      await must(
        api(srv.url, srv.adminToken, 'PATCH', `/admin/providers/${p.id}`, {
          email: `provider${i}@example.com`,
        }),
      );
    const expected = o.bookings * EMAILS_PER_BOOKING;
    const firstDay = utcMidnight(Date.now()) + 25 * DAY;
    log(
      `notify bench: ${o.bookings} bookings (hold + keyed booking, ${o.concurrency} at a time) over ${PROVIDERS} providers and ${USERS} customers; server → ${sink.url}`,
    );

    const t0 = performance.now();
    let booked = 0;
    await pool(
      Array.from({ length: o.bookings }, (_, i) => i),
      o.concurrency,
      async (i) => {
        left('while booking');
        const user = cat.users[i % cat.users.length]!;
        const hold = await must(
          api(srv!.url, user.token, 'POST', '/reservations', slotBody(cat, i, firstDay)),
          201,
        );
        await must(
          api(
            srv!.url,
            user.token,
            'POST',
            '/bookings',
            { reservationToken: hold.reservationToken, userId: user.id },
            { 'idempotency-key': `bench-notify-${process.pid}-${i}` },
          ),
          201,
        );
        booked++;
      },
    );
    const tBooked = performance.now();

    while (sink.at.length < expected) {
      if (performance.now() > deadline)
        throw new Error(
          `only ${sink.at.length} of ${expected} emails reached the sink within the ${o.deadlineS} s bound`,
        );
      await sleep(5);
    }
    const tAll = sink.at[expected - 1]!;
    // anything beyond the expected count (a resend) arrives soon after: watch a little longer
    let seen = sink.at.length;
    for (let quiet = 0; quiet < 1_500; quiet += 100) {
      await sleep(100);
      if (sink.at.length !== seen) {
        seen = sink.at.length;
        quiet = 0;
      }
      if (performance.now() > deadline) break;
    }
    const received = sink.at.length;
    const toCustomers = [...sink.to].filter(([a]) => a.startsWith('user')).reduce((s, [, n]) => s + n, 0);
    const toProviders = [...sink.to].filter(([a]) => a.startsWith('provider')).reduce((s, [, n]) => s + n, 0);

    const s = (ms: number) => ms / 1000;
    const deliveryRate = expected / s(tAll - t0);
    const bookingRate = booked / s(tBooked - t0);
    const perBooking = received / booked;
    log('');
    log(
      table(
        ['phase', 'count', 'ms', 'per s'],
        [
          ['bookings over HTTP (hold + book)', booked, fmt(tBooked - t0), fmt(bookingRate)],
          ['first email at the sink', 1, fmt(sink.at[0]! - t0), ''],
          [`all ${expected} emails at the sink`, expected, fmt(tAll - t0), fmt(deliveryRate)],
          ['after the last booking', expected, fmt(tAll - tBooked), ''],
        ],
      ),
    );
    log(
      `${received} emails received (${toCustomers} to customers, ${toProviders} to providers): ${fmt(perBooking, 2)} per booking`,
    );
    return {
      figures: [
        { label: `email delivery end to end (${booked} bookings)`, value: deliveryRate, unit: 'emails/s' },
        { label: 'emails per booking', value: perBooking, unit: 'emails' },
        { label: 'last email after the last booking', value: tAll - tBooked, unit: 'ms' },
        {
          label: `bookings over HTTP (hold + book, ${o.concurrency} at a time)`,
          value: bookingRate,
          unit: '/s',
        },
      ],
      notes: [
        'delivery: from the first booking request until the sink has 2 emails per booking (customer and provider), through the outbox-dispatch and notification-send jobs of the real server (4 SMTP connections)',
        'the SMTP sink runs in the bench process and shares the 2 cores with the server',
      ],
    };
  } finally {
    await srv?.stop();
    await sink.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The positional arguments: everything that is neither a `--flag` nor a flag's value. */
function positional(argv: string[]): string[] {
  return argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
}

function count(v: string | undefined, def: number, what: string): number {
  const n = v === undefined ? def : Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} must be a positive integer, got ${v}`);
  return n;
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const [bookings, concurrency] = positional(argv);
  const bin = strArg('bin');
  Promise.resolve()
    .then(() =>
      runNotifyBench({
        bookings: count(bookings, 250, 'bookings'),
        concurrency: count(concurrency, 4, 'concurrency'),
        deadlineS: count(strArg('deadline'), 120, '--deadline'),
        ...(bin ? { bin } : {}),
      }),
    )
    .then(
      ({ figures, notes }) => {
        printBenchJson({ name: 'notify', figures, notes });
        process.exit(0);
      },
      (err) => {
        process.stderr.write(`notify bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
        process.exit(1);
      },
    );
}
