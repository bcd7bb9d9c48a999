import { randomUUID } from 'node:crypto';
import { useEffect, useRef, useState } from 'react';
import type { Alternative, Appointment } from '../../../shared/schemas.js';
import { errorText, isConflict, isOffline, TuiApiError } from '../data.js';
import type { TuiEnv } from '../env.js';
import { localTime } from '../format.js';
import { keys, patchAppointment, patchTimeslots } from '../query.js';
import { explainStale, isStale } from '../refresh.js';
import { zoned } from '../words.js';

export interface Hold {
  token: string;
  timeslotId: string;
  start: string;
  end: string;
  expiresAt: number;
  key: string;
}

export interface Conflict {
  message: string;
  wanted?: string;
  alts: Alternative[];
  sel: number;
}

type Busy = null | 'holding' | 'confirming';

/**
 * The hold lifecycle of the reschedule screen: hold a slot (POST /reservations), count down
 * on the injected clock, confirm it, release it when the screen goes away; a conflict keeps
 * the seed's nearest alternatives for the panel; offline the move is queued.
 */
export function useHold(
  env: TuiEnv,
  a: Appointment,
  date: string,
  onLeave: () => void,
  onDone: (a: Appointment) => void,
) {
  const [hold, setHold] = useState<Hold | null>(null);
  const [busy, setBusyState] = useState<Busy>(null);
  // a second Enter can arrive before the re-render that shows "Holding…": the ref sees it
  const busyRef = useRef<Busy>(null);
  const setBusy = (b: Busy) => {
    busyRef.current = b;
    setBusyState(b);
  };
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [, setTick] = useState(0);
  const holdRef = useRef<Hold | null>(null);
  holdRef.current = hold;
  const zone = a.timezone;

  // the countdown: re-render every second while a hold exists
  useEffect(() => (hold ? env.clock.every(1000, () => setTick((n) => n + 1)) : undefined), [hold, env.clock]);
  // leaving the screen (Esc, quit, or unmount) releases the hold
  useEffect(
    () => () => {
      const h = holdRef.current;
      if (h) void env.data.release(h.token).catch(() => {});
    },
    [env.data],
  );
  const expired = hold !== null && env.clock.now() >= hold.expiresAt;

  function release() {
    if (holdRef.current) void env.data.release(holdRef.current.token).catch(() => {});
    holdRef.current = null;
    setHold(null);
  }

  function queueMove(ts: { id: string; start: string }) {
    env.enqueue({
      kind: 'reschedule',
      appointmentId: a.id,
      idempotencyKey: randomUUID(),
      version: a.version,
      reschedule: { providerId: a.providerId, serviceId: a.serviceId, timeslotId: ts.id, start: ts.start },
      summary: `reschedule ${a.id} to ${localTime(ts.start, zone)}`,
    });
    env.toast(
      `Offline: move to ${localTime(ts.start, zone)} queued — not done until the server confirms`,
      'info',
    );
    onLeave();
  }

  async function showConflict(message: string, wanted: string | undefined, alts: Alternative[]) {
    let list = alts;
    if (list.length === 0) {
      try {
        list = (await env.data.alternatives(a.id, 'date', date)).items;
      } catch {
        list = [];
      }
    }
    if (wanted) {
      const w = Date.parse(wanted);
      list = [...list].sort((x, y) => Math.abs(Date.parse(x.start) - w) - Math.abs(Date.parse(y.start) - w));
    }
    setConflict({ message, ...(wanted ? { wanted } : {}), alts: list, sel: 0 });
  }

  async function doHold(ts: { id: string; start: string; end: string }, onHeld?: (id: string) => void) {
    if (busyRef.current) return;
    setBusy('holding');
    try {
      const r = await env.data.hold({
        providerId: a.providerId,
        serviceId: a.serviceId,
        timeslotId: ts.id,
        appointmentId: a.id,
      });
      setHold({
        token: r.reservationToken,
        timeslotId: ts.id,
        start: r.start ?? ts.start,
        end: r.end ?? ts.end,
        expiresAt: Date.parse(r.expiresAt),
        key: randomUUID(),
      });
      onHeld?.(ts.id);
    } catch (e) {
      if (isOffline(e)) {
        queueMove(ts);
      } else if (e instanceof TuiApiError && e.status === 409 && e.code !== 'appointment_started') {
        patchTimeslots(env.qc, a.providerId, a.serviceId, [{ timeslotId: ts.id, status: 'booked' }]);
        void env.qc.invalidateQueries({ queryKey: ['slots-free', a.providerId] });
        await showConflict(errorText(e), ts.start, e.alternatives);
      } else if (isStale(e)) {
        await explainStale(env, a, e, 'moved');
        onLeave();
      } else env.toast(`Could not hold the slot: ${errorText(e)}`, 'error');
    } finally {
      setBusy(null);
    }
  }

  async function confirm(h: Hold) {
    if (busyRef.current) return;
    setBusy('confirming');
    const old = patchAppointment(env.qc, { ...a, start: h.start, end: h.end, status: 'rescheduled' });
    try {
      const next = await env.data.reschedule(a.id, h.token, a.version, h.key);
      // the hold is spent: nothing to release when the screen closes
      holdRef.current = null;
      setHold(null);
      patchAppointment(env.qc, next);
      void env.qc.invalidateQueries({ queryKey: ['appointments'] });
      void env.qc.invalidateQueries({ queryKey: keys.appointment(a.id) });
      env.toast(`Moved to ${zoned(next.start, zone)}`, 'ok');
      onDone(next);
    } catch (e) {
      if (old) patchAppointment(env.qc, old);
      if (isOffline(e)) {
        queueMove({ id: h.timeslotId, start: h.start });
      } else if (isConflict(e)) {
        setHold(null);
        env.toast(`Not moved (rolled back): ${errorText(e)}`, 'error');
        void env.qc.invalidateQueries({ queryKey: ['availability', a.providerId] });
        void env.qc.invalidateQueries({ queryKey: ['slots-free', a.providerId] });
        await showConflict(errorText(e), h.start, e.alternatives);
      } else if (isStale(e)) {
        release();
        await explainStale(env, a, e, 'moved');
        onLeave();
      } else env.toast(`Not moved (rolled back): ${errorText(e)}`, 'error');
    } finally {
      setBusy(null);
    }
  }

  return { hold, busy, busyRef, expired, conflict, setConflict, doHold, confirm, release };
}
