import { Box } from 'ink';
import { Text } from '../ui.js';
import { DateTime } from 'luxon';
import { useEffect, useState } from 'react';
import type { Appointment, Availability, Timeslot } from '../../../shared/schemas.js';
import { addDays } from '../../../shared/time.js';
import { snapshotKeys } from '../../config.js';
import { errorText, isOffline } from '../data.js';
import { useEnv } from '../env.js';
import { localTime, mmss, money, signedMinutes, signedMoney } from '../format.js';
import { useHold } from '../hooks/useHold.js';
import { useKeys } from '../keys.js';
import { AVAILABILITY_STALE_MS, keys, useQ } from '../query.js';
import { feeWindowWarning, zoned } from '../words.js';
import { ConflictModal, OfflineBanner } from './Parts.js';

/** The day after the appointment's own day at the same local time (the seed's "Tomorrow"). */
export function tomorrowSameTime(a: Appointment): { date: string; target: number } {
  const local = DateTime.fromISO(a.start, { zone: a.timezone });
  const t = local.plus({ days: 1 });
  return { date: t.toISODate()!, target: t.toMillis() };
}

/**
 * Which slots the server would accept for this appointment. Availability shows the
 * appointment's own time as booked (it blocks itself); the server's list of free slots for
 * this appointment (`alternatives?kind=date`) does not. A slot is free when the server lists
 * it and no live update has taken it since (a live "taken" on a slot the appointment itself
 * overlaps is the appointment, not someone else). Without that list (offline), availability
 * alone decides.
 */
export function freeSlots(a: Appointment, serverFree: Set<string> | undefined) {
  const s0 = Date.parse(a.start);
  const e0 = Date.parse(a.end);
  const own = (s: Timeslot) => Date.parse(s.start) < e0 && Date.parse(s.end) > s0;
  return (s: Timeslot): boolean => {
    if (Date.parse(s.start) === s0) return false; // its current time: not a move
    if (!serverFree) return s.status === 'available';
    return serverFree.has(s.id) && (s.status === 'available' || own(s));
  };
}

/**
 * RescheduleScreen: date chips, a grid of timeslots, Enter holds (POST /reservations) and
 * shows "Reserved for mm:ss"; Enter on the held slot confirms. Leaving releases the hold.
 */
export function RescheduleScreen(p: {
  appt: Appointment;
  date: string;
  target?: number | undefined;
  /** why this day and slot were chosen (next available), said above the grid */
  why?: string | undefined;
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
  const h = useHold(env, a, date, p.onBack, p.onDone);
  const { hold, expired, conflict } = h;

  const avail = useQ(
    env.qc,
    keys.availability(a.providerId, a.serviceId, date),
    () => env.data.availability(a.providerId, a.serviceId, date),
    { staleTime: AVAILABILITY_STALE_MS },
  );
  const serverFree = useQ(
    env.qc,
    ['slots-free', a.providerId, a.id, date],
    () => env.data.alternatives(a.id, 'date', date),
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
  const freeData = serverFree.data && !serverFree.isPlaceholderData ? serverFree.data : undefined;
  const freeSet = freeData ? new Set(freeData.items.map((x) => x.timeslotId)) : undefined;
  // waiting for the server's list (not failed): the grid is not final yet
  const freePending = !freeSet && !serverFree.error;
  const isFree = freeSlots(a, freeSet);

  // until the user moves, the selection is the free slot nearest the wanted local time
  // (derived during render, so an Enter right after the slots arrive holds that one)
  const slot = slotChoice ?? nearestSlot(slots, target, zone, isFree, hold?.timeslotId);
  const current = slots[Math.min(slot, Math.max(0, slots.length - 1))];
  const currentFree = current ? isFree(current) || hold?.timeslotId === current.id : false;

  const [enterPending, setEnterPending] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the free list lands
  useEffect(() => {
    if (!enterPending || freePending) return;
    setEnterPending(false);
    if (!current) return;
    if (!currentFree) return env.toast('That slot is taken — pick another', 'error');
    void h.doHold(current, (id) => {
      const i = slots.findIndex((s) => s.id === id);
      if (i >= 0) setSlotChoice(i);
    });
  }, [enterPending, freePending]);

  useKeys(
    (input, key) => {
      if (h.busyRef.current) return;
      if (conflict) {
        if (key.escape) return h.setConflict(null);
        if (key.downArrow || input === 'j')
          return h.setConflict({ ...conflict, sel: Math.min(conflict.alts.length - 1, conflict.sel + 1) });
        if (key.upArrow || input === 'k')
          return h.setConflict({ ...conflict, sel: Math.max(0, conflict.sel - 1) });
        const alt = conflict.alts[conflict.sel];
        if (key.return && alt) {
          h.setConflict(null);
          const d = DateTime.fromISO(alt.start, { zone }).toISODate()!;
          setDate(d);
          setTarget(Date.parse(alt.start));
          setSlotChoice(null);
          void h.doHold({ id: alt.timeslotId, start: alt.start, end: alt.end });
        }
        return;
      }
      if (key.escape) {
        h.release();
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
      if (key.home || input === 'g') return setSlotChoice(0);
      if (key.end || input === 'G') return setSlotChoice(Math.max(0, slots.length - 1));
      if (key.return && current) {
        if (hold && hold.timeslotId === current.id && !expired) return void h.confirm(hold);
        // the server's list of free slots is on its way: Enter waits for it, not dropped
        if (freePending) return setEnterPending(true);
        if (!currentFree)
          return env.toast(
            Date.parse(current.start) === Date.parse(a.start)
              ? 'That is its current time — pick another slot'
              : 'That slot is taken — pick another',
            'error',
          );
        return void h.doHold(current, (id) => {
          const i = slots.findIndex((s) => s.id === id);
          if (i >= 0) setSlotChoice(i);
        });
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
  const delta = current ? Math.round((Date.parse(current.start) - Date.parse(a.start)) / 60_000) : 0;
  const fee =
    current && currentFree ? feeWindowWarning(a, hold?.start ?? current.start, env.clock.now()) : null;

  const grid = conflict ? (
    // the conflict and its alternatives go where the eye is: in place of the grid
    <ConflictModal
      message={conflict.message}
      wantedStart={conflict.wanted}
      zone={zone}
      currency={priceCurrency}
      alternatives={conflict.alts}
      selected={conflict.sel}
    />
  ) : (
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
              const mine = Date.parse(s.start) === Date.parse(a.start);
              const taken = !held && !mine && !isFree(s);
              const label = localTime(s.start, zone, 'HH:mm');
              return (
                <Text
                  key={s.id}
                  inverse={idx === slot}
                  dimColor={taken}
                  strikethrough={taken}
                  color={held ? (expired ? 'red' : 'green') : mine ? 'cyan' : undefined}
                >
                  {' '}
                  {label}
                  {held ? '*' : mine ? '•' : taken ? '×' : ' '}
                </Text>
              );
            })}
          </Box>
        ))
      )}
    </Box>
  );

  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        Reschedule · {a.serviceTitle} with {a.providerName} · {a.userName}
      </Text>
      <Text wrap="truncate">
        Now: {zoned(a.start, zone)} ({zone}) · {money(a.priceCents, priceCurrency)}
      </Text>
      {p.why && (
        <Text color="cyan" wrap="truncate">
          {p.why}
        </Text>
      )}
      {offline && <OfflineBanner at={snap?.at} />}
      <Box>
        {chips.map((d) => (
          <Text key={d} inverse={d === date}>
            {' '}
            {DateTime.fromISO(d).toFormat('ccc dd')}{' '}
          </Text>
        ))}
      </Box>
      {grid}
      {current && !conflict && (
        <Text wrap="truncate">
          Selected: {localTime(current.start, zone)}
          {currentFree
            ? ''
            : Date.parse(current.start) === Date.parse(a.start)
              ? ' (its current time)'
              : ' (taken)'}{' '}
          · {signedMinutes(delta)}
          {delta < 0 ? ' (earlier)' : ''} · {signedMoney(0, priceCurrency)}
        </Text>
      )}
      {fee && !conflict && (
        <Text color="yellow" wrap="truncate">
          {fee}
        </Text>
      )}
      <Box>
        {h.busy === 'holding' || enterPending ? (
          <Text>Holding…</Text>
        ) : hold && !expired ? (
          <Text color="green">Reserved for {mmss(hold.expiresAt - env.clock.now())}</Text>
        ) : hold && expired ? (
          <Text color="red">Hold expired</Text>
        ) : (
          <Text dimColor>Enter holds the selected slot</Text>
        )}
        <Text> </Text>
        {h.busy === 'confirming' ? (
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
      <Text dimColor wrap="truncate">
        ←/→ day · ↑/↓ slot · Enter hold/confirm · × taken · • its time · Esc back (releases the hold)
      </Text>
    </Box>
  );
}

/**
 * Index of the free slot nearest the wanted local time of day (the first free one without a
 * wanted time). A taken slot is never preselected while a free one exists.
 */
export function nearestSlot(
  slots: Timeslot[],
  target: number | undefined,
  zone: string,
  isFree: (s: Timeslot) => boolean = (s) => s.status === 'available',
  heldId?: string | undefined,
): number {
  if (heldId) {
    // our own hold shows as reserved in live updates; it stays the selection
    const i = slots.findIndex((s) => s.id === heldId);
    if (i >= 0) return i;
  }
  if (slots.length === 0) return 0;
  if (target === undefined) return Math.max(0, slots.findIndex(isFree));
  const want = DateTime.fromMillis(target, { zone });
  const wantMin = want.hour * 60 + want.minute;
  let best = 0;
  let bestD = Number.POSITIVE_INFINITY;
  slots.forEach((s, i) => {
    const l = DateTime.fromISO(s.start, { zone });
    const d = Math.abs(l.hour * 60 + l.minute - wantMin) + (isFree(s) ? 0 : 10_000);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}
