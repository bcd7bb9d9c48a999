import { randomUUID } from 'node:crypto';
import { Box, Text } from 'ink';
import { DateTime } from 'luxon';
import { useEffect, useRef, useState } from 'react';
import type { Alternative, Appointment, Availability, Timeslot } from '../../../shared/schemas.js';
import { snapshotKeys } from '../../config.js';
import { addDays } from '../../../shared/time.js';
import { errorText, isConflict, isOffline, TuiApiError } from '../data.js';
import { useEnv } from '../env.js';
import { useKeys } from '../keys.js';
import { localTime, mmss, money, signedMinutes, signedMoney } from '../format.js';
import { AVAILABILITY_STALE_MS, keys, patchAppointment, patchTimeslots, useQ } from '../query.js';
import { ConflictModal, OfflineBanner } from './Parts.js';

interface Hold {
  token: string;
  timeslotId: string;
  start: string;
  end: string;
  expiresAt: number;
  key: string;
}

/** The day after the appointment's own day at the same local time (the seed's "Tomorrow"). */
export function tomorrowSameTime(a: Appointment): { date: string; target: number } {
  const local = DateTime.fromISO(a.start, { zone: a.timezone });
  const t = local.plus({ days: 1 });
  return { date: t.toISODate()!, target: t.toMillis() };
}

/**
 * RescheduleScreen: date chips, a grid of timeslots, Enter holds (POST /reservations) and
 * shows "Reserved for mm:ss"; Enter on the held slot confirms. Leaving releases the hold.
 */
export function RescheduleScreen(p: {
  appt: Appointment;
  date: string;
  target?: number | undefined;
  active: boolean;
  width: number;
  onBack(): void;
  onDone(a: Appointment): void;
}) {
  const env = useEnv();
  const a = p.appt;
  const zone = a.timezone;
  const today = DateTime.fromMillis(env.clock.now(), { zone }).toISODate()!;
  const [date, setDate] = useState(p.date < today ? today : p.date);
  const [target, setTarget] = useState<number | undefined>(p.target);
  const [slotChoice, setSlotChoice] = useState<number | null>(null);
  const [hold, setHold] = useState<Hold | null>(null);
  const [busy, setBusyState] = useState<null | 'holding' | 'confirming'>(null);
  // a second Enter can arrive before the re-render that shows "Holding…": the ref sees it
  const busyRef = useRef<null | 'holding' | 'confirming'>(null);
  const setBusy = (b: null | 'holding' | 'confirming') => {
    busyRef.current = b;
    setBusyState(b);
  };
  const [conflict, setConflict] = useState<null | {
    message: string;
    wanted?: string;
    alts: Alternative[];
    sel: number;
  }>(null);
  const [, setTick] = useState(0);
  const holdRef = useRef<Hold | null>(null);
  holdRef.current = hold;

  const avail = useQ(
    env.qc,
    keys.availability(a.providerId, a.serviceId, date),
    () => env.data.availability(a.providerId, a.serviceId, date),
    { staleTime: AVAILABILITY_STALE_MS },
  );
  const snapKey = snapshotKeys.availability(a.providerId, a.serviceId, date);
  const offline = !!avail.error && isOffline(avail.error);
  const snap = offline ? env.store.getSnapshot<Availability>(snapKey) : undefined;
  // biome-ignore lint/correctness/useExhaustiveDependencies: save when a fetch lands
  useEffect(() => {
    if (avail.data && !avail.isPlaceholderData && avail.data.date === date)
      env.store.setSnapshot(snapKey, avail.data, new Date(env.clock.now()).toISOString());
  }, [avail.dataUpdatedAt]);
  useEffect(() => {
    if (offline) env.setOnline(false);
  }, [offline, env.setOnline]);
  const source = avail.data && avail.data.date === date ? avail.data : snap?.data;
  const slots: Timeslot[] = source?.timeslots ?? [];

  // until the user moves, the selection is the slot nearest the wanted local time (derived
  // during render, so an Enter right after the slots arrive holds the preselected one)
  const slot = slotChoice ?? nearestSlot(slots, target, zone, hold?.timeslotId);

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
  const current = slots[Math.min(slot, Math.max(0, slots.length - 1))];

  async function doHold(ts: { id: string; start: string; end: string }) {
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
      const i = slots.findIndex((s) => s.id === ts.id);
      if (i >= 0) setSlotChoice(i);
    } catch (e) {
      if (isOffline(e)) {
        queueMove(ts);
      } else if (e instanceof TuiApiError && e.status === 409) {
        patchTimeslots(env.qc, a.providerId, a.serviceId, [{ timeslotId: ts.id, status: 'booked' }]);
        await showConflict(errorText(e), ts.start, e.alternatives);
      } else env.toast(`Could not hold the slot: ${errorText(e)}`, 'error');
    } finally {
      setBusy(null);
    }
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
    p.onBack();
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

  async function confirm(h: Hold) {
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
      env.toast(`Moved to ${localTime(next.start, zone)}`, 'ok');
      p.onDone(next);
    } catch (e) {
      if (old) patchAppointment(env.qc, old);
      if (isOffline(e)) {
        queueMove({ id: h.timeslotId, start: h.start });
      } else if (isConflict(e)) {
        setHold(null);
        env.toast(`Not moved (rolled back): ${errorText(e)}`, 'error');
        void env.qc.invalidateQueries({ queryKey: ['availability', a.providerId] });
        await showConflict(errorText(e), h.start, e.alternatives);
      } else env.toast(`Not moved (rolled back): ${errorText(e)}`, 'error');
    } finally {
      setBusy(null);
    }
  }

  useKeys(
    (input, key) => {
      if (busyRef.current) return;
      if (conflict) {
        if (key.escape) return setConflict(null);
        if (key.downArrow || input === 'j')
          return setConflict({ ...conflict, sel: Math.min(conflict.alts.length - 1, conflict.sel + 1) });
        if (key.upArrow || input === 'k')
          return setConflict({ ...conflict, sel: Math.max(0, conflict.sel - 1) });
        const alt = conflict.alts[conflict.sel];
        if (key.return && alt) {
          setConflict(null);
          const d = DateTime.fromISO(alt.start, { zone }).toISODate()!;
          setDate(d);
          setTarget(Date.parse(alt.start));
          setSlotChoice(null);
          void doHold({ id: alt.timeslotId, start: alt.start, end: alt.end });
        }
        return;
      }
      if (key.escape) {
        if (hold) void env.data.release(hold.token).catch(() => {});
        setHold(null);
        holdRef.current = null;
        return p.onBack();
      }
      if (key.leftArrow || input === 'h' || key.rightArrow || input === 'l') {
        const d = key.leftArrow || input === 'h' ? -1 : 1;
        setDate((cur) => (addDays(cur, d) < today ? cur : addDays(cur, d)));
        setSlotChoice(null);
        return;
      }
      if (key.downArrow || input === 'j')
        return setSlotChoice((s) => Math.min(slots.length - 1, (s ?? slot) + 1));
      if (key.upArrow || input === 'k') return setSlotChoice((s) => Math.max(0, (s ?? slot) - 1));
      if (key.return && current) {
        if (hold && hold.timeslotId === current.id && !expired) return void confirm(hold);
        if (current.status !== 'available' && !(hold && hold.timeslotId === current.id))
          return env.toast('That slot is taken — pick another', 'error');
        return void doHold(current);
      }
    },
    { isActive: p.active },
  );

  // date chips around the chosen day that fit the width
  const chipW = 8;
  const n = Math.max(3, Math.floor((p.width - 2) / chipW));
  let first = addDays(date, -Math.floor(n / 3));
  if (first < today) first = today;
  const chips = Array.from({ length: n }, (_, i) => addDays(first, i));
  const cellW = 7;
  const cols = Math.max(4, Math.floor((p.width - 2) / cellW));
  const rows: Timeslot[][] = [];
  for (let i = 0; i < slots.length; i += cols) rows.push(slots.slice(i, i + cols));
  const priceCurrency = a.currency;

  return (
    <Box flexDirection="column">
      <Text bold>
        Reschedule · {a.serviceTitle} with {a.providerName} · {a.userName}
      </Text>
      <Text>
        Now: {localTime(a.start, zone)} ({zone}) · {money(a.priceCents, priceCurrency)}
      </Text>
      {offline && <OfflineBanner at={snap?.at} />}
      <Box>
        {chips.map((d) => (
          <Text key={d} inverse={d === date}>
            {' '}
            {DateTime.fromISO(d).toFormat('ccc dd')}{' '}
          </Text>
        ))}
      </Box>
      <Box flexDirection="column" minHeight={3}>
        {avail.isLoading && !snap ? (
          <Text>Loading timeslots…</Text>
        ) : avail.error && !snap ? (
          <Text color={offline ? 'yellow' : 'red'}>
            {offline
              ? 'Timeslots need the server (offline).'
              : `Could not load timeslots: ${errorText(avail.error)}`}
          </Text>
        ) : slots.length === 0 ? (
          <Text dimColor>No timeslots on {date}. ←/→ another day.</Text>
        ) : (
          rows.map((r, ri) => (
            <Box key={r[0]!.id}>
              {r.map((s, ci) => {
                const idx = ri * cols + ci;
                const held = hold?.timeslotId === s.id;
                const taken = s.status !== 'available' && !held;
                const label = localTime(s.start, zone, 'HH:mm');
                return (
                  <Text
                    key={s.id}
                    inverse={idx === slot}
                    dimColor={taken}
                    strikethrough={taken}
                    color={held ? (expired ? 'red' : 'green') : undefined}
                  >
                    {' '}
                    {label}
                    {held ? '*' : taken ? '×' : ' '}
                  </Text>
                );
              })}
            </Box>
          ))
        )}
      </Box>
      {current && (
        <Text>
          Selected: {localTime(current.start, zone)}
          {current.status !== 'available' && hold?.timeslotId !== current.id ? ' (taken)' : ''} ·{' '}
          {signedMinutes(Math.round((Date.parse(current.start) - Date.parse(a.start)) / 60_000))} ·{' '}
          {signedMoney(0, priceCurrency)}
        </Text>
      )}
      <Box>
        {busy === 'holding' ? (
          <Text>Holding…</Text>
        ) : hold && !expired ? (
          <Text color="green">Reserved for {mmss(hold.expiresAt - env.clock.now())}</Text>
        ) : hold && expired ? (
          <Text color="red">Hold expired</Text>
        ) : (
          <Text dimColor>Enter holds the selected slot</Text>
        )}
        <Text> </Text>
        {busy === 'confirming' ? (
          <Text color="yellow">Saving… (not done yet)</Text>
        ) : (
          <Text inverse={!!hold && !expired} dimColor={!hold || expired}>
            {' '}
            Confirm new time{' '}
          </Text>
        )}
        {hold && expired && <Text dimColor> disabled · Enter holds again</Text>}
        {hold && !expired && <Text dimColor> Enter confirms</Text>}
      </Box>
      <Text dimColor>←/→ day · ↑/↓ slot · Enter hold/confirm · × taken · Esc back (releases the hold)</Text>
      {conflict && (
        <ConflictModal
          message={conflict.message}
          wantedStart={conflict.wanted}
          zone={zone}
          currency={priceCurrency}
          alternatives={conflict.alts}
          selected={conflict.sel}
        />
      )}
    </Box>
  );
}

/** Index of the available slot nearest the wanted local time of day (first available without one). */
export function nearestSlot(
  slots: Timeslot[],
  target: number | undefined,
  zone: string,
  heldId?: string | undefined,
): number {
  if (heldId) {
    // our own hold shows as reserved in live updates; it stays the selection
    const i = slots.findIndex((s) => s.id === heldId);
    if (i >= 0) return i;
  }
  if (slots.length === 0) return 0;
  if (target === undefined)
    return Math.max(
      0,
      slots.findIndex((s) => s.status === 'available'),
    );
  const want = DateTime.fromMillis(target, { zone });
  const wantMin = want.hour * 60 + want.minute;
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  slots.forEach((s, i) => {
    const l = DateTime.fromISO(s.start, { zone });
    const d = Math.abs(l.hour * 60 + l.minute - wantMin) + (s.status === 'available' ? 0 : 10_000);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}
