import type { StatsResult } from '../../server/ops/stats.js';
import type { IO } from '../io.js';
import type { StatsFlags } from './stats.js';

const pct = (r: number) => `${(r * 100).toFixed(1)}%`;
const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;

/** The figures as a support engineer reads them: totals, rates, reasons, then a per-day table. */
export function formatStats(s: StatsResult): string {
  const fees = Object.entries(s.feesByCurrency);
  const lines = [
    `since ${s.since} (${s.days} days; the per-day table counts UTC days)`,
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
  // the server sums a day's fees over currencies: only shown when there is one currency
  const mixed = fees.length > 1;
  const feeHead = fees.length === 1 ? `fees(${fees[0]![0]})` : 'fees(cents)';
  lines.push(
    '',
    `date (UTC)    booked  moved  cancelled  ${feeHead.padStart(11)}  holds-expired  move-failures`,
  );
  if (mixed)
    lines.push(
      `  (fees per day left out: they are in ${fees.map(([c]) => c).join(' and ')}, never added together)`,
    );
  for (const d of s.perDay)
    lines.push(
      `${d.date}  ${[
        d.bookings,
        d.reschedules,
        d.cancellations,
        mixed ? '-' : fees.length === 1 ? (d.feesCents / 100).toFixed(2) : d.feesCents,
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
  // the same forms as every --since (checked here, sent as typed: the server reads spans too)
  (await import('../dates.js')).sinceArg(since, '--since');
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
