import { parseSince, StatsResult } from '../../shared/stats.js';
import { DAY, iso } from '../../shared/time.js';
import { type Db, stmt } from '../db/open.js';

/**
 * The figures a support engineer asks for (`appt stats`, GET /admin/stats): what was
 * booked, moved and cancelled, the fees, how many holds lapsed and why reschedules were
 * refused. Everything comes from durable tables (audit log, reservations, appointments,
 * outbox, notifications), so the answer is the same from any process and after restarts.
 * Days are UTC days; money stays per currency (the schema is in shared/stats.ts).
 */
export { parseSince, StatsResult };

const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 10_000) / 10_000);

export async function statsSince(db: Db, since: number, now: number): Promise<StatsResult> {
  const audit = await stmt<{ action: string; outcome: string; code: string | null; n: number }>(
    db,
    `SELECT action, outcome, error_code AS code, COUNT(*) AS n FROM audit_entries
      WHERE timestamp >= ? AND timestamp < ? AND action IN ('created','rescheduled','cancelled','book','reschedule','cancel')
      GROUP BY action, outcome, error_code`,
  ).all(since, now + 1);
  const count = (action: string, outcome: string) =>
    audit.filter((r) => r.action === action && r.outcome === outcome).reduce((s, r) => s + r.n, 0);
  const bookings = count('created', 'applied');
  const reschedules = count('rescheduled', 'applied');
  const cancellations = count('cancelled', 'applied');
  const rescheduleFailures = count('reschedule', 'rejected');

  const fees = await stmt<{ currency: string; fee: number; refund: number; withFee: number }>(
    db,
    `SELECT a.currency AS currency, COALESCE(SUM(e.fee_cents), 0) AS fee,
            COALESCE(SUM(a.refund_cents), 0) AS refund, SUM(CASE WHEN e.fee_cents > 0 THEN 1 ELSE 0 END) AS "withFee"
       FROM audit_entries e JOIN appointments a ON a.id = e.appointment_id
      WHERE e.action = 'cancelled' AND e.outcome = 'applied' AND e.timestamp >= ? AND e.timestamp < ?
      GROUP BY a.currency`,
  ).all(since, now + 1);
  const feesByCurrency: Record<string, number> = {};
  const refundsByCurrency: Record<string, number> = {};
  for (const f of fees) {
    if (f.fee > 0) feesByCurrency[f.currency] = f.fee;
    if (f.refund > 0) refundsByCurrency[f.currency] = f.refund;
  }

  const holdRows = await stmt<{ status: string; n: number }>(
    db,
    'SELECT status, COUNT(*) AS n FROM reservations WHERE created_at >= ? AND created_at < ? GROUP BY status',
  ).all(since, now + 1);
  const holdsBy = (s: string) => holdRows.find((r) => r.status === s)?.n ?? 0;
  // A hold still marked active past its expiry has lapsed; the sweeper just has not run yet.
  const lapsed = (await stmt<{ n: number }>(
    db,
    "SELECT COUNT(*) AS n FROM reservations WHERE created_at >= ? AND status = 'active' AND expires_at <= ?",
  ).get(since, now))!.n;
  const holds = {
    created: holdRows.reduce((s, r) => s + r.n, 0),
    consumed: holdsBy('consumed'),
    released: holdsBy('released'),
    expired: holdsBy('expired') + lapsed,
    active: holdsBy('active') - lapsed,
    expiryRate: 0,
  };
  holds.expiryRate = ratio(holds.expired, holds.consumed + holds.released + holds.expired);

  const top = audit
    .filter((r) => r.outcome === 'rejected')
    .map((r) => ({ action: r.action, code: r.code ?? 'unknown', count: r.n }))
    .sort((a, b) => b.count - a.count || a.action.localeCompare(b.action) || a.code.localeCompare(b.code))
    .slice(0, 10);

  const days = Math.max((now - since) / DAY, 1 / 1440);
  return {
    since: iso(since),
    until: iso(now),
    days: Math.round(days * 1000) / 1000,
    dayZone: 'UTC',
    bookings,
    reschedules,
    cancellations,
    cancellationsWithFee: fees.reduce((s, f) => s + f.withFee, 0),
    feesByCurrency,
    refundsByCurrency,
    holds,
    bookingFailures: count('book', 'rejected'),
    rescheduleAttempts: reschedules + rescheduleFailures,
    rescheduleFailures,
    rescheduleFailureRate: ratio(rescheduleFailures, reschedules + rescheduleFailures),
    cancellationFailures: count('cancel', 'rejected'),
    topFailureReasons: top,
    perDay: await perDay(db, since, now),
    ratesPerDay: {
      bookings: round2(bookings / days),
      reschedules: round2(reschedules / days),
      cancellations: round2(cancellations / days),
      holdsExpired: round2(holds.expired / days),
      rescheduleFailures: round2(rescheduleFailures / days),
    },
    notifications: await stmt<{ channel: string; status: string; count: number }>(
      db,
      `SELECT channel, status, COUNT(*) AS count FROM notifications WHERE created_at >= ?
        GROUP BY channel, status ORDER BY channel, status`,
    ).all(since),
    outbox: await outboxState(db, now),
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export async function outboxState(db: Db, now: number): Promise<StatsResult['outbox']> {
  const r = (await stmt<{ pending: number; dead: number; oldest: number | null }>(
    db,
    `SELECT SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending,
            SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END) AS dead,
            MIN(CASE WHEN status = 'pending' THEN created_at END) AS oldest
       FROM outbox WHERE status IN ('pending','dead')`,
  ).get())!;
  return {
    pending: r.pending ?? 0,
    dead: r.dead ?? 0,
    lagSeconds: r.oldest === null ? 0 : Math.max(0, (now - r.oldest) / 1000),
  };
}

/** Per UTC day, oldest first; days with nothing happening are listed with zeros. */
async function perDay(db: Db, since: number, now: number): Promise<StatsResult['perDay']> {
  const rows = await stmt<{ d: number; action: string; outcome: string; n: number }>(
    db,
    `SELECT timestamp / ${DAY} AS d, action, outcome, COUNT(*) AS n
       FROM audit_entries WHERE timestamp >= ? AND timestamp < ?
        AND action IN ('created','rescheduled','cancelled','reschedule')
      GROUP BY d, action, outcome`,
  ).all(since, now + 1);
  // fees per day and currency: a day's NZD and USD fees are two figures, never one sum
  const fees = await stmt<{ d: number; currency: string; fee: number }>(
    db,
    `SELECT e.timestamp / ${DAY} AS d, a.currency AS currency, COALESCE(SUM(e.fee_cents), 0) AS fee
       FROM audit_entries e JOIN appointments a ON a.id = e.appointment_id
      WHERE e.action = 'cancelled' AND e.outcome = 'applied' AND e.timestamp >= ? AND e.timestamp < ?
      GROUP BY d, a.currency`,
  ).all(since, now + 1);
  const expired = await stmt<{ d: number; n: number }>(
    db,
    `SELECT expires_at / ${DAY} AS d, COUNT(*) AS n FROM reservations
      WHERE (status = 'expired' OR (status = 'active' AND expires_at <= ?)) AND expires_at >= ? AND expires_at < ?
      GROUP BY d`,
  ).all(now, since, now + 1);
  const out = new Map<number, StatsResult['perDay'][number]>();
  const first = Math.floor(since / DAY);
  const last = Math.floor(now / DAY);
  // Cap the listing: a `since` years back should not produce thousands of empty rows.
  for (let d = Math.max(first, last - 366); d <= last; d++)
    out.set(d, {
      date: iso(d * DAY).slice(0, 10),
      bookings: 0,
      reschedules: 0,
      cancellations: 0,
      feesByCurrency: {},
      holdsExpired: 0,
      rescheduleFailures: 0,
    });
  for (const r of rows) {
    const day = out.get(Math.floor(r.d));
    if (!day) continue;
    if (r.action === 'created' && r.outcome === 'applied') day.bookings += r.n;
    else if (r.action === 'rescheduled' && r.outcome === 'applied') day.reschedules += r.n;
    else if (r.action === 'cancelled' && r.outcome === 'applied') day.cancellations += r.n;
    else if (r.action === 'reschedule' && r.outcome === 'rejected') day.rescheduleFailures += r.n;
  }
  for (const r of fees) {
    const day = out.get(Math.floor(Number(r.d)));
    if (day && Number(r.fee) > 0)
      day.feesByCurrency[r.currency] = (day.feesByCurrency[r.currency] ?? 0) + Number(r.fee);
  }
  for (const r of expired) {
    const day = out.get(Math.floor(r.d));
    if (day) day.holdsExpired += r.n;
  }
  return [...out.values()];
}
