import type { StatsResult } from '../../server/ops/stats.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { IO } from '../io.js';
import type { StatsFlags } from './stats.js';

const pct = (r: number) => `${(r * 100).toFixed(1)}%`;
const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;

/** The figures as a support engineer reads them: totals, rates, reasons, then a per-day table. */
export function formatStats(s: StatsResult): string {
  const fees = Object.entries(s.feesByCurrency);
  const lines = [
    `since ${s.since} (${s.days} days)`,
    '',
    `bookings            ${s.bookings}  (${s.ratesPerDay.bookings}/day, ${s.bookingFailures} refused)`,
    `reschedules         ${s.reschedules}  (${s.ratesPerDay.reschedules}/day)`,
    `  failure rate      ${pct(s.rescheduleFailureRate)}  (${s.rescheduleFailures} of ${s.rescheduleAttempts} attempts)`,
    `cancellations       ${s.cancellations}  (${s.ratesPerDay.cancellations}/day, ${s.cancellationsWithFee} with a fee, ${s.cancellationFailures} refused)`,
    `  fees applied      ${fees.length ? fees.map(([c, n]) => money(n, c)).join(', ') : '0'}`,
    `holds               ${s.holds.created} taken, ${s.holds.consumed} used, ${s.holds.released} released, ${s.holds.expired} expired, ${s.holds.active} active`,
    `  expiry rate       ${pct(s.holds.expiryRate)}`,
    `outbox              ${s.outbox.pending} pending (oldest ${Math.round(s.outbox.lagSeconds)} s), ${s.outbox.dead} dead`,
  ];
  if (s.notifications.length)
    lines.push(
      `notifications       ${s.notifications.map((n) => `${n.channel} ${n.status} ${n.count}`).join(', ')}`,
    );
  lines.push('', 'top failure reasons');
  if (s.topFailureReasons.length === 0) lines.push('  none');
  for (const f of s.topFailureReasons) lines.push(`  ${String(f.count).padStart(6)}  ${f.action} ${f.code}`);
  lines.push('', 'date          booked  moved  cancelled  fees(cents)  holds-expired  move-failures');
  for (const d of s.perDay)
    lines.push(
      `${d.date}  ${[
        d.bookings,
        d.reschedules,
        d.cancellations,
        d.feesCents,
        d.holdsExpired,
        d.rescheduleFailures,
      ]
        .map((n, i) => String(n).padStart([6, 7, 11, 13, 15, 15][i]))
        .join('')}`,
    );
  return `${lines.join('\n')}\n`;
}

export async function runStats(io: IO, o: StatsFlags): Promise<void> {
  const since = o.since ?? '7d';
  if (!/^\d{1,6}\s*(m|min|h|d|w)$/i.test(since) && !/^\d{4}-\d{2}-\d{2}/.test(since))
    throw new CliError(
      `--since: expected a span like 7d, 24h, 90m or an ISO 8601 time, got ${JSON.stringify(since)}`,
      EXIT.usage,
    );
  const { withRuntime, toCliError } = await import('../runtime.js');
  await withRuntime(io, { json: o.json, replay: false }, async (rt) => {
    let s: StatsResult;
    try {
      s = (await rt.client.stats(since)) as StatsResult;
    } catch (e) {
      throw toCliError(e, io, Boolean(o.json));
    }
    io.out(o.json ? `${JSON.stringify(s)}\n` : formatStats(s));
  });
}
