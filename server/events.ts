import type { Appointment } from '../shared/schemas.js';

/**
 * Every domain event, by topic, with its payload: one map the writers (`w.emit`) and the
 * consumers (realtime feed, metrics, outbox dispatcher) share, instead of a loose record
 * each side re-casts. Payloads go over the wire as JSON (outbox rows, pg NOTIFY, the
 * customer's realtime channel), so they hold plain data only.
 */
export interface DomainEvents {
  /** blocked time of a provider changed (hold, release, booking, move, cancel, hours, busy block) */
  'availability.changed': {
    providerId: string;
    startAt: number;
    endAt: number;
    /** the offered slot the change is about, when it is one */
    timeslotId?: string;
    /** held | released | booked | moved-from | moved-to | cancelled | completed | no_show | busy | hours … */
    reason?: string;
  };
  'reservation.expired': { token: string; providerId: string; timeslotId: string };
  'booking.confirmed': { appointment: Appointment; version: number };
  'booking.updated': {
    appointmentId: string;
    userId: string;
    updates: Record<string, unknown>;
    version: number;
    appointment: Appointment;
  };
  'booking.rescheduled': {
    appointment: Appointment;
    previous: { start: string; end: string };
    next: { start: string; end: string };
    version: number;
    reason: string | null;
  };
  'booking.cancelled': { appointment: Appointment; feeCents: number; refundCents: number; version: number };
}

export type Topic = keyof DomainEvents;

/**
 * A domain event: written to the outbox inside the change's transaction (for jobs) and
 * published on the bus after commit (for realtime, metrics). A union over topics, so a
 * `switch (e.topic)` narrows the payload.
 */
export type DomainEvent<T extends Topic = Topic> = {
  [K in T]: { id: string; topic: K; payload: DomainEvents[K]; at: number };
}[T];

export const BOOKING_TOPICS: ReadonlySet<Topic> = new Set<Topic>([
  'booking.confirmed',
  'booking.cancelled',
  'booking.rescheduled',
  'booking.updated',
]);

export function isBookingEvent(
  e: DomainEvent,
): e is DomainEvent<'booking.confirmed' | 'booking.cancelled' | 'booking.rescheduled' | 'booking.updated'> {
  return BOOKING_TOPICS.has(e.topic);
}
