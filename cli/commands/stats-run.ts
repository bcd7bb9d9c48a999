import type { StatsResult } from '../../shared/stats.js';
import { type Factory, using } from '../factory.js';
import type { StatsFlags } from './stats.js';

const pct = (r: number) => `${(r * 100).toFixed(1)}%`;
const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;

/** The figures as a support engineer reads them: totals, rates, reasons, then a per-day table. */
export function formatStats(s: StatsResult): string {
  const fees = Object.entries(s.feesByCurrency);
  const lines = [
    `since ${s.since} (${s.days} days; the per-day table counts ${s.dayZone} days)`,
    '',
    `bookings            ${s.bookings}  (${s.ratesPerDay.bookings}/day, ${s.bookingFailures} refused)`,
    `reschedules         ${s.reschedules}  (${s.ratesPerDay.reschedules}/day)`,
    `  failure rate      ${pct(s.rescheduleFailureRate)}  (${s.rescheduleFailures} of ${s.rescheduleAttempts} attempts)`,
    `cancellations       ${s.cancellations}  (${s.ratesPerDay.cancellations}/day, ${s.cancellationsWithFee} with a fee, ${s.cancellationFailures} refused)`,
    `  fees applied      ${fees.length ? fees.map(([c, n]) => money(n, c)).join(', ') : 'none'}`,
    `  refunds           ${
      Object.entries(s.refundsByCurrency)
        .map(([c, n]) => money(n, c))
        .join(', ') || 'none'
    }`,
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
  // one fee column per currency: amounts in different currencies are never added together
  const currencies = [
    ...new Set([...fees.map(([c]) => c), ...s.perDay.flatMap((d) => Object.keys(d.feesByCurrency))]),
  ].sort();
  const heads = [
    'booked',
    'moved',
    'cancelled',
    ...(currencies.length ? currencies.map((c) => `fees ${c}`) : ['fees']),
    'holds-expired',
    'move-failures',
  ];
  lines.push('', `date (${s.dayZone})  ${heads.map((h) => h.padStart(Math.max(h.length, 6))).join('  ')}`);
  for (const d of s.perDay) {
    const cells = [
      d.bookings,
      d.reschedules,
      d.cancellations,
      ...(currencies.length ? currencies.map((c) => ((d.feesByCurrency[c] ?? 0) / 100).toFixed(2)) : [0]),
      d.holdsExpired,
      d.rescheduleFailures,
    ];
    lines.push(
      `${d.date.padEnd(`date (${s.dayZone})`.length)}  ${cells.map((n, i) => String(n).padStart(Math.max(heads[i]!.length, 6))).join('  ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function runStats(f: Factory, o: StatsFlags): Promise<void> {
  const { io } = f;
  const since = o.since ?? '7d';
  // the same forms as every --since (checked here, sent as typed: the server reads spans too)
  (await import('../dates.js')).sinceArg(since, '--since');
  const { toCliError } = await import('../runtime.js');
  await using(f, async () => {
    const rt = await f.runtime({ json: o.json, replay: false });
    let s: StatsResult;
    try {
      s = (await rt.client.stats(since)) as StatsResult;
    } catch (e) {
      throw toCliError(e, io, Boolean(o.json));
    }
    io.out(o.json ? `${JSON.stringify(s)}\n` : formatStats(s));
  });
}
