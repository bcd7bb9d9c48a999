import type { QueryClient } from '@tanstack/query-core';
import { useEffect, useState } from 'react';
import type { Me } from '../../../shared/schemas.js';
import type { RealtimeFeed, TuiData } from '../data.js';
import { patchAppointment, patchTimeslots } from '../query.js';

export type RtState = 'connected' | 'connecting' | 'disconnected' | 'polling' | 'off';

/**
 * Realtime: a customer follows their bookings channel; staff follow every provider's
 * availability channel (a booking change anywhere shows up there) and the bookings channel
 * of the customer whose appointment is open, so a cancel or move by another desk patches
 * the open detail as fast as the list. The reschedule screen adds its provider so taken
 * slots grey out live.
 */
export function useRealtimeSync(o: {
  realtime: RealtimeFeed | undefined;
  me: Me | null;
  data: TuiData;
  qc: QueryClient;
  /** provider and customer of the screen on top, when it shows one appointment */
  focus: { providerId?: string | undefined; userId?: string | undefined };
}): RtState {
  const { realtime, me, data, qc } = o;
  const [rt, setRt] = useState<RtState>(realtime ? 'connecting' : 'off');
  const [staffProviders, setStaffProviders] = useState<string[]>([]);
  useEffect(() => {
    if (!me || me.role === 'user' || !data.providers) return;
    data.providers().then(
      (ps) => setStaffProviders(ps.map((p) => p.id)),
      () => {},
    );
  }, [me, data]);
  const providerKey = [...new Set([...staffProviders, ...(o.focus.providerId ? [o.focus.providerId] : [])])]
    .sort()
    .join(',');
  // a customer token may only follow its own channel
  const userKey = me?.role === 'user' ? '' : (o.focus.userId ?? '');
  useEffect(() => {
    if (!realtime || !me) return;
    return realtime.start(
      {
        ...(me.userId ? { userId: me.userId } : {}),
        ...(userKey ? { userIds: [userKey] } : {}),
        providerIds: providerKey ? providerKey.split(',') : [],
      },
      (e) => {
        if (e.type === 'booking') {
          if (e.appointment) patchAppointment(qc, e.appointment);
          void qc.invalidateQueries({ queryKey: ['appointments'] });
          const id = e.appointment?.id ?? e.appointmentId;
          if (id) {
            void qc.invalidateQueries({ queryKey: ['appointment', id] });
            void qc.invalidateQueries({ queryKey: ['quote', id] });
          }
        } else {
          const changes =
            e.changes ?? (e.timeslotId && e.status ? [{ timeslotId: e.timeslotId, status: e.status }] : []);
          if (!patchTimeslots(qc, e.providerId, e.serviceId, changes))
            void qc.invalidateQueries({ queryKey: ['availability', e.providerId] });
          void qc.invalidateQueries({ queryKey: ['slots-free', e.providerId] });
          void qc.invalidateQueries({ queryKey: ['appointments'] });
          // a slot changing may be someone else's cancel or move of the appointment on
          // screen: the open detail (only active queries refetch) is refreshed with the list
          void qc.invalidateQueries({ queryKey: ['appointment'] });
          void qc.invalidateQueries({ queryKey: ['quote'] });
        }
      },
      (s) => {
        setRt(s);
        // messages sent while away are not replayed: refetch on (re)connect
        if (s === 'connected') void qc.invalidateQueries();
      },
    );
  }, [realtime, me, providerKey, userKey, qc]);
  return rt;
}
