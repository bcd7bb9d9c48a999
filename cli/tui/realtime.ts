import type { Appointment } from '../../shared/schemas.js';
import type { RealtimeEvent, RealtimeFeed } from './data.js';

type RtState = 'connected' | 'connecting' | 'disconnected' | 'polling';

/** Maps pusher-js connection states onto the status line's words. */
export function mapState(s: string): RtState {
  if (s === 'connected') return 'connected';
  if (s === 'connecting' || s === 'initialized') return 'connecting';
  return 'disconnected';
}

/** Turns a hub message into the TUI's event shape (null for events the TUI does not use). */
export function toTuiEvent(event: string, data: unknown): RealtimeEvent | null {
  const d = (data ?? {}) as Record<string, unknown>;
  if (event.startsWith('booking.'))
    return {
      type: 'booking',
      event,
      ...(d.appointment ? { appointment: d.appointment as Appointment } : {}),
      ...(typeof d.appointmentId === 'string' ? { appointmentId: d.appointmentId } : {}),
    };
  if (event === 'timeslot.updated' && typeof d.providerId === 'string')
    return {
      type: 'timeslot',
      providerId: d.providerId,
      ...(typeof d.serviceId === 'string' ? { serviceId: d.serviceId } : {}),
      ...(typeof d.date === 'string' ? { date: d.date } : {}),
      ...(typeof d.timeslotId === 'string' ? { timeslotId: d.timeslotId } : {}),
      ...(typeof d.status === 'string' ? { status: d.status } : {}),
      ...(Array.isArray(d.changes) ? { changes: d.changes as { timeslotId: string; status: string }[] } : {}),
    };
  return null;
}

/**
 * The realtime feed over the shared pusher-js wrapper: a customer's bookings channel and the
 * availability channels of the providers on screen. If the hub cannot be reached the status
 * line says so and the app polls instead.
 */
export function pusherFeed(server: string, token: string): RealtimeFeed {
  return {
    start(sub, onEvent, onState) {
      let closed = false;
      let close: (() => void) | undefined;
      onState('connecting');
      import('../../shared/realtime-client.js')
        .then((m) =>
          m.connectRealtime({
            server,
            token,
            userIds: [...new Set([...(sub.userId ? [sub.userId] : []), ...(sub.userIds ?? [])])],
            providerIds: sub.providerIds,
            onEvent: (e) => {
              const t = toTuiEvent(e.event, e.data);
              if (t) onEvent(t);
            },
            onState: (s) => onState(mapState(s)),
          }),
        )
        .then(
          (c) => {
            if (closed) c.close();
            else close = () => c.close();
          },
          () => {
            if (!closed) onState('polling');
          },
        );
      return () => {
        closed = true;
        close?.();
      };
    },
  };
}
