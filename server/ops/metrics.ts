import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppContext, DomainEvent } from '../context.js';
import { stmt } from '../db/open.js';

/**
 * The operational figures of one app instance (DESIGN §3 /metrics, the seed's §11):
 * counters driven by domain events on the bus and by finished HTTP requests, gauges read
 * from the database at scrape time. One registry per app: tests build many apps in one
 * process and each must see only its own counts. Process metrics (CPU, memory, event loop,
 * GC) are process-wide, so they live in one shared registry created on first scrape.
 */
export interface AppMetrics {
  registry: Registry;
  /** A finished HTTP request (called from the server's onResponse hook). */
  observeRequest(r: ObservedRequest): void;
  /** The Prometheus text exposition: this app's metrics plus the process's. */
  render(): Promise<string>;
  contentType: string;
  /** Detaches from the bus. */
  stop(): void;
}

export interface ObservedRequest {
  method: string;
  /** the route pattern (`/appointments/:id/reschedule`), or undefined when no route matched */
  route: string | undefined;
  status: number;
  seconds: number;
  replayed: boolean;
  /** the problem+json `code` of a refused request */
  problemCode: string | undefined;
}

/** The booking-path operations whose latency and failures the seed asks to watch. */
const OPERATIONS: Record<string, string> = {
  'POST /reservations': 'hold',
  'DELETE /reservations/:token': 'release',
  'POST /bookings': 'book',
  'POST /appointments/:id/reschedule': 'reschedule',
  'POST /appointments/:id/cancel': 'cancel',
};

export function operationOf(method: string, route: string | undefined): string | undefined {
  return route ? OPERATIONS[`${method} ${route}`] : undefined;
}

let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** What the realtime hub reports about itself (read at scrape time). */
export interface RealtimeFigures {
  connections: number;
  subscriptions: number;
  published: number;
  delivered: number;
  dropped: number;
}

export async function createMetrics(
  ctx: Pick<AppContext, 'db' | 'clock' | 'bus'>,
  realtime: () => RealtimeFigures | undefined = () => undefined,
): Promise<AppMetrics> {
  const registry = new Registry();
  const reg = { registers: [registry] };
  new Gauge({
    name: 'appt_realtime',
    help: 'Realtime hub: open connections, subscriptions, and messages published/delivered/dropped so far',
    labelNames: ['figure'],
    ...reg,
    async collect() {
      const r = realtime();
      if (r) for (const [k, v] of Object.entries(r)) this.set({ figure: k }, v);
    },
  });

  const holdsCreated = new Counter({
    name: 'appt_reservations_created_total',
    help: 'Holds (reservations) taken',
    ...reg,
  });
  const holdsReleased = new Counter({
    name: 'appt_reservations_released_total',
    help: 'Holds released before expiry (by the holder, staff, or a newer hold for the same appointment)',
    ...reg,
  });
  const holdsExpired = new Counter({
    name: 'appt_reservations_expired_total',
    help: 'Holds that lapsed unused (reservation expiry)',
    ...reg,
  });
  const holdsConsumed = new Counter({
    name: 'appt_reservations_consumed_total',
    help: 'Holds turned into a booking or a reschedule',
    labelNames: ['purpose'],
    ...reg,
  });
  const bookings = new Counter({ name: 'appt_bookings_total', help: 'Appointments booked', ...reg });
  const reschedules = new Counter({
    name: 'appt_reschedules_total',
    help: 'Appointments moved',
    ...reg,
  });
  const cancellations = new Counter({
    name: 'appt_cancellations_total',
    help: 'Appointments cancelled, by whether a fee was applied',
    labelNames: ['fee'],
    ...reg,
  });
  const fees = new Counter({
    name: 'appt_cancellation_fees_cents_total',
    help: 'Cancellation fees applied, in minor units',
    labelNames: ['currency'],
    ...reg,
  });
  const refunds = new Counter({
    name: 'appt_cancellation_refunds_cents_total',
    help: 'Refunds owed on cancellation, in minor units',
    labelNames: ['currency'],
    ...reg,
  });
  const attempts = new Counter({
    name: 'appt_operation_attempts_total',
    help: 'Booking-path requests (hold, release, book, reschedule, cancel), replays excluded',
    labelNames: ['operation'],
    ...reg,
  });
  const failures = new Counter({
    name: 'appt_operation_failures_total',
    help: 'Refused booking-path requests by operation and problem code',
    labelNames: ['operation', 'reason'],
    ...reg,
  });
  const rescheduleFailures = new Counter({
    name: 'appt_reschedule_failures_total',
    help: 'Refused reschedules by reason (problem code)',
    labelNames: ['reason'],
    ...reg,
  });
  const latency = new Histogram({
    name: 'appt_booking_latency_seconds',
    help: 'Server time of booking-path requests (hold, book, reschedule, cancel), replays excluded',
    labelNames: ['operation', 'outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ...reg,
  });
  const replays = new Counter({
    name: 'appt_idempotent_replays_total',
    help: 'Responses replayed from a stored Idempotency-Key',
    labelNames: ['route'],
    ...reg,
  });
  const http = new Histogram({
    name: 'appt_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    ...reg,
  });

  const db = ctx.db;
  // Gauges read the database at scrape time, so they are right across restarts and
  // across several server processes sharing one database file.
  new Gauge({
    name: 'appt_outbox_pending',
    help: 'Outbox events not yet delivered',
    ...reg,
    async collect() {
      this.set(
        (await stmt<{ n: number }>(db, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'").get())!.n,
      );
    },
  });
  new Gauge({
    name: 'appt_outbox_dead',
    help: 'Outbox events given up on (dead letters)',
    ...reg,
    async collect() {
      this.set(
        (await stmt<{ n: number }>(db, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'dead'").get())!.n,
      );
    },
  });
  new Gauge({
    name: 'appt_outbox_lag_seconds',
    help: 'Age of the oldest pending outbox event (0 when none is pending)',
    ...reg,
    async collect() {
      const r = (await stmt<{ oldest: number | null }>(
        db,
        "SELECT MIN(created_at) AS oldest FROM outbox WHERE status = 'pending'",
      ).get())!;
      this.set(r.oldest === null ? 0 : Math.max(0, (ctx.clock.now() - r.oldest) / 1000));
    },
  });
  new Gauge({
    name: 'appt_notifications',
    help: 'Notifications by channel and delivery status',
    labelNames: ['channel', 'status'],
    ...reg,
    async collect() {
      this.reset();
      const rows = await stmt<{ channel: string; status: string; n: number }>(
        db,
        'SELECT channel, status, COUNT(*) AS n FROM notifications GROUP BY channel, status',
      ).all();
      for (const r of rows) this.set({ channel: r.channel, status: r.status }, r.n);
    },
  });
  new Gauge({
    name: 'appt_audit_entries',
    help: 'Audit log entries by outcome (applied | rejected)',
    labelNames: ['outcome'],
    ...reg,
    async collect() {
      this.reset();
      const rows = await stmt<{ outcome: string; n: number }>(
        db,
        'SELECT outcome, COUNT(*) AS n FROM audit_entries GROUP BY outcome',
      ).all();
      for (const r of rows) this.set({ outcome: r.outcome }, r.n);
    },
  });
  new Gauge({
    name: 'appt_reservations_active',
    help: 'Holds alive right now',
    ...reg,
    async collect() {
      this.set(
        (await stmt<{ n: number }>(
          db,
          "SELECT COUNT(*) AS n FROM reservations WHERE status = 'active' AND expires_at > ?",
        ).get(ctx.clock.now()))!.n,
      );
    },
  });

  const onEvent = (e: DomainEvent) => {
    switch (e.topic) {
      case 'availability.changed': {
        const reason = e.payload.reason;
        if (reason === 'held') holdsCreated.inc();
        else if (reason === 'released') holdsReleased.inc();
        else if (reason === 'booked') {
          holdsConsumed.inc({ purpose: 'book' });
          bookings.inc();
        } else if (reason === 'moved-to') holdsConsumed.inc({ purpose: 'reschedule' });
        break;
      }
      case 'reservation.expired':
        holdsExpired.inc();
        break;
      case 'booking.rescheduled':
        reschedules.inc();
        break;
      case 'booking.cancelled': {
        const { feeCents: fee, refundCents: refund, appointment } = e.payload;
        const currency = appointment.currency;
        cancellations.inc({ fee: fee > 0 ? 'charged' : 'none' });
        if (fee > 0) fees.inc({ currency }, fee);
        if (refund > 0) refunds.inc({ currency }, refund);
        break;
      }
    }
  };
  const unsubscribe = ctx.bus.subscribe(onEvent);

  return {
    registry,
    contentType: registry.contentType,
    observeRequest(r) {
      const route = r.route ?? 'unmatched';
      http.observe({ method: r.method, route, status: String(r.status) }, r.seconds);
      if (r.replayed) {
        replays.inc({ route: `${r.method} ${route}` });
        return;
      }
      const op = operationOf(r.method, r.route);
      if (!op) return;
      attempts.inc({ operation: op });
      const ok = r.status < 400;
      latency.observe({ operation: op, outcome: ok ? 'ok' : 'refused' }, r.seconds);
      if (!ok) {
        const reason = r.problemCode ?? String(r.status);
        failures.inc({ operation: op, reason });
        if (op === 'reschedule') rescheduleFailures.inc({ reason });
      }
    },
    async render() {
      const own = await registry.metrics();
      const proc = await processMetrics().metrics();
      return `${own}\n${proc}`;
    },
    stop: unsubscribe,
  };
}
