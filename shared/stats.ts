import { type Static, Type } from '@sinclair/typebox';

/**
 * The figures behind `appt stats` (GET /admin/stats), shared by the server that computes
 * them and the CLI that prints them. Money is kept per currency everywhere (totals and each
 * day): amounts in different currencies are never added together. Day buckets are UTC days
 * (`dayZone`), whatever the providers' zones.
 */
const PerCurrency = Type.Record(Type.String({ pattern: '^[A-Z]{3}$' }), Type.Integer(), {
  description: 'cents per ISO 4217 currency; a currency with nothing is left out',
});

export const StatsResult = Type.Object(
  {
    since: Type.String({ format: 'date-time' }),
    until: Type.String({ format: 'date-time' }),
    days: Type.Number({ description: 'length of the window in days' }),
    dayZone: Type.Literal('UTC', { description: 'the zone of the per-day buckets' }),
    bookings: Type.Integer(),
    reschedules: Type.Integer(),
    cancellations: Type.Integer(),
    cancellationsWithFee: Type.Integer(),
    feesByCurrency: PerCurrency,
    refundsByCurrency: PerCurrency,
    holds: Type.Object({
      created: Type.Integer(),
      consumed: Type.Integer(),
      released: Type.Integer(),
      expired: Type.Integer(),
      active: Type.Integer(),
      expiryRate: Type.Number({ description: 'expired / ended holds created in the window' }),
    }),
    bookingFailures: Type.Integer(),
    rescheduleAttempts: Type.Integer(),
    rescheduleFailures: Type.Integer(),
    rescheduleFailureRate: Type.Number({ description: 'refused / attempted reschedules (audited)' }),
    cancellationFailures: Type.Integer(),
    topFailureReasons: Type.Array(
      Type.Object({ action: Type.String(), code: Type.String(), count: Type.Integer() }),
    ),
    perDay: Type.Array(
      Type.Object({
        date: Type.String({ description: 'YYYY-MM-DD, a day in dayZone' }),
        bookings: Type.Integer(),
        reschedules: Type.Integer(),
        cancellations: Type.Integer(),
        feesByCurrency: PerCurrency,
        holdsExpired: Type.Integer(),
        rescheduleFailures: Type.Integer(),
      }),
    ),
    ratesPerDay: Type.Object({
      bookings: Type.Number(),
      reschedules: Type.Number(),
      cancellations: Type.Number(),
      holdsExpired: Type.Number(),
      rescheduleFailures: Type.Number(),
    }),
    notifications: Type.Array(
      Type.Object({ channel: Type.String(), status: Type.String(), count: Type.Integer() }),
    ),
    outbox: Type.Object({ pending: Type.Integer(), dead: Type.Integer(), lagSeconds: Type.Number() }),
  },
  { additionalProperties: false },
);
export type StatsResult = Static<typeof StatsResult>;

// the one reading of `since` (server and CLI), kept free of TypeBox for the CLI's cold start
export { parseSince } from './since.js';
