import { describe, expect, it } from 'vitest';
import type { StatsResult } from '../../shared/stats.js';
import { formatStats } from './stats-run.js';

const day = (date: string, feesByCurrency: Record<string, number>) => ({
  date,
  bookings: 1,
  reschedules: 0,
  cancellations: 2,
  feesByCurrency,
  holdsExpired: 0,
  rescheduleFailures: 0,
});

const s: StatsResult = {
  since: '2030-01-06T12:00:00.000Z',
  until: '2030-01-07T12:00:00.000Z',
  days: 1,
  dayZone: 'UTC',
  bookings: 2,
  reschedules: 0,
  cancellations: 2,
  cancellationsWithFee: 2,
  feesByCurrency: { USD: 1500, NZD: 2000 },
  refundsByCurrency: { USD: 3500 },
  holds: { created: 2, consumed: 2, released: 0, expired: 0, active: 0, expiryRate: 0 },
  bookingFailures: 0,
  rescheduleAttempts: 0,
  rescheduleFailures: 0,
  rescheduleFailureRate: 0,
  cancellationFailures: 0,
  topFailureReasons: [],
  perDay: [day('2030-01-06', {}), day('2030-01-07', { USD: 1500, NZD: 2000 })],
  ratesPerDay: { bookings: 2, reschedules: 0, cancellations: 2, holdsExpired: 0, rescheduleFailures: 0 },
  notifications: [],
  outbox: { pending: 0, dead: 0, lagSeconds: 0 },
};

describe('appt stats (text)', () => {
  it('keeps currencies apart, in totals and per day, and names the zone of the day buckets', () => {
    const text = formatStats(s);
    expect(text).toMatch(/fees applied\s+15\.00 USD, 20\.00 NZD/);
    expect(text).toMatch(/refunds\s+35\.00 USD/);
    expect(text).toMatch(/^date \(UTC\)\s+booked\s+moved\s+cancelled\s+fees NZD\s+fees USD\s+holds-expired/m);
    expect(text).toMatch(/^2030-01-07\s+1\s+0\s+2\s+20\.00\s+15\.00\s+0\s+0$/m);
    expect(text).toMatch(/^2030-01-06\s+1\s+0\s+2\s+0\.00\s+0\.00\s+0\s+0$/m);
    // 15 + 20 = 35 would be the sum of two currencies: never printed as a fee
    expect(text).not.toMatch(/35\.00 (?!USD)/);
    expect(text).toMatch(/counts UTC days/);
  });
});
