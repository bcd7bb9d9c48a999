import { randomUUID } from 'node:crypto';
import { Box, Text, useApp, useStdout } from 'ink';
import { DateTime } from 'luxon';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Appointment, Me } from '../../shared/schemas.js';
import { cancelAppointment, replayQueue } from './actions.js';
import {
  errorText,
  isOffline,
  type QueuedAction,
  type RealtimeFeed,
  systemClock,
  type TuiClock,
  type TuiData,
  type TuiStore,
} from './data.js';
import { EnvContext, type TuiEnv } from './env.js';
import { useKeys } from './keys.js';
import { clockTime } from './format.js';
import { LIST_STALE_MS, makeQueryClient, patchAppointment, patchTimeslots } from './query.js';
import { CancelModal } from './screens/CancelModal.js';
import { DetailScreen } from './screens/Detail.js';
import { type ListView, ListScreen, localZone, type QuickKind, todayIn } from './screens/List.js';
import { Help } from './screens/Parts.js';
import { RescheduleScreen, tomorrowSameTime } from './screens/Reschedule.js';

export interface AppProps {
  data: TuiData;
  store: TuiStore;
  server?: string;
  clock?: TuiClock;
  realtime?: RealtimeFeed | undefined;
  /** how often to probe the server while offline and to poll when realtime is down, ms */
  pollMs?: number;
  /** who the token is when the server cannot be asked (saved at login) */
  fallbackMe?: Me | undefined;
  size?: { columns: number; rows: number };
}

type Screen =
  | { name: 'list' }
  | { name: 'detail'; id: string; fallback: Appointment }
  | { name: 'reschedule'; appt: Appointment; date: string; target?: number | undefined };

type RtState = 'connected' | 'connecting' | 'disconnected' | 'polling' | 'off';

function useSize(fixed?: { columns: number; rows: number }) {
  const { stdout } = useStdout();
  const read = () => fixed ?? { columns: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const on = () => setSize(read());
    stdout.on('resize', on);
    return () => void stdout.off('resize', on);
  });
  return size;
}

/** The TUI: loads who the token is, then the list/detail/reschedule screens, modals and the status line. */
export function App(props: AppProps) {
  const { exit } = useApp();
  const clock = props.clock ?? systemClock;
  const qc = useMemo(makeQueryClient, []);
  // cached queries hold garbage-collection timers that would keep the process alive after quit
  useEffect(() => () => qc.clear(), [qc]);
  const size = useSize(props.size);
  const [me, setMe] = useState<Me | null>(null);
  const [meError, setMeError] = useState<string | null>(null);
  const [online, setOnline] = useState(true);
  const [rt, setRt] = useState<RtState>(props.realtime ? 'connecting' : 'off');
  const [refreshed, setRefreshed] = useState<number | null>(null);
  const [queue, setQueue] = useState<QueuedAction[]>(() => props.store.queue());
  const [toastMsg, setToastState] = useState<{ text: string; tone: 'info' | 'error' | 'ok' } | null>(null);
  const [typing, setTyping] = useState(false);
  const [help, setHelp] = useState(false);
  const [stack, setStack] = useState<Screen[]>([{ name: 'list' }]);
  const [cancelFor, setCancelFor] = useState<Appointment | null>(null);
  const [view, setView] = useState<ListView | null>(null);
  const [selected, setSelected] = useState(0);
  const replaying = useRef(false);
  const lastPoll = useRef(Date.now());

  const toast = useCallback(
    (text: string, tone: 'info' | 'error' | 'ok' = 'info') => setToastState({ text, tone }),
    [],
  );

  // who is this token: a customer sees their own lists, staff open the day view
  useEffect(() => {
    props.data.me().then(
      (m) => setMe(m),
      (e) => {
        if (isOffline(e) && props.fallbackMe) {
          setOnline(false);
          setMe(props.fallbackMe);
        } else setMeError(errorText(e));
      },
    );
  }, [props.data, props.fallbackMe]);
  useEffect(() => {
    if (!me || view) return;
    if (me.role === 'user' && me.userId)
      setView({ kind: 'user', userId: me.userId, customer: me.name, filter: 'upcoming' });
    else setView({ kind: 'day', date: todayIn({ clock }), tz: localZone() });
  }, [me, view, clock]);

  const env: TuiEnv | null = me
    ? {
        data: props.data,
        qc,
        clock,
        store: props.store,
        me,
        online,
        setOnline,
        toast,
        queue,
        enqueue: (a) => {
          const full: QueuedAction = {
            ...a,
            id: randomUUID(),
            queuedAt: new Date(clock.now()).toISOString(),
            server: props.server ?? '',
          };
          setQueue((q) => [...q, full]);
          void props.store.enqueue(full).then(() => setQueue(props.store.queue()));
        },
        markRefreshed: () => setRefreshed(clock.now()),
        setTyping,
      }
    : null;

  // realtime: a customer follows their bookings channel; staff follow every provider's
  // availability channel (a booking change anywhere shows up there); the reschedule screen
  // adds its provider so taken slots grey out live
  const [staffProviders, setStaffProviders] = useState<string[]>([]);
  useEffect(() => {
    if (!me || me.role === 'user' || !props.data.providers) return;
    props.data.providers().then(
      (ps) => setStaffProviders(ps.map((p) => p.id)),
      () => {},
    );
  }, [me, props.data]);
  const topScreen = stack[stack.length - 1];
  const providerKey = [
    ...new Set([...staffProviders, ...(topScreen?.name === 'reschedule' ? [topScreen.appt.providerId] : [])]),
  ]
    .sort()
    .join(',');
  useEffect(() => {
    if (!props.realtime || !me) return;
    return props.realtime.start(
      { ...(me.userId ? { userId: me.userId } : {}), providerIds: providerKey ? providerKey.split(',') : [] },
      (e) => {
        if (e.type === 'booking') {
          if (e.appointment) patchAppointment(qc, e.appointment);
          void qc.invalidateQueries({ queryKey: ['appointments'] });
          if (e.appointment || e.appointmentId)
            void qc.invalidateQueries({ queryKey: ['appointment', e.appointment?.id ?? e.appointmentId] });
        } else {
          const changes =
            e.changes ?? (e.timeslotId && e.status ? [{ timeslotId: e.timeslotId, status: e.status }] : []);
          if (!patchTimeslots(qc, e.providerId, e.serviceId, changes))
            void qc.invalidateQueries({ queryKey: ['availability', e.providerId] });
          void qc.invalidateQueries({ queryKey: ['appointments'] });
        }
      },
      (s) => {
        setRt(s);
        // messages sent while away are not replayed: refetch on (re)connect
        if (s === 'connected') void qc.invalidateQueries();
      },
    );
  }, [props.realtime, me, providerKey, qc]);

  // offline: probe until the server answers, then replay the queue; realtime down: poll
  const pollMs = props.pollMs ?? 1500;
  const stateRef = useRef({ online, rt, queue });
  stateRef.current = { online, rt, queue };
  useEffect(() => {
    if (!me) return;
    const t = setInterval(async () => {
      const s = stateRef.current;
      if (!s.online || (s.queue.length > 0 && !replaying.current)) {
        try {
          await props.data.me();
        } catch {
          return;
        }
        setOnline(true);
        if (props.store.queue().length && !replaying.current) {
          replaying.current = true;
          try {
            const res = await replayQueue(props.data, props.store, qc);
            setQueue(props.store.queue());
            const last = res[res.length - 1];
            if (last) toast(`Replayed ${res.length} queued: ${last.message}`, last.ok ? 'ok' : 'error');
          } finally {
            replaying.current = false;
          }
        }
        void qc.invalidateQueries();
      } else if (s.rt !== 'connected' || Date.now() - lastPoll.current >= LIST_STALE_MS) {
        // realtime down: poll; realtime up: still refresh once per list stale time, since
        // staff follow availability channels and some changes (attention flags) do not move
        // a slot
        lastPoll.current = Date.now();
        void qc.refetchQueries({ queryKey: ['appointments'], type: 'active' });
        void qc.refetchQueries({ queryKey: ['appointment'], type: 'active' });
      }
    }, pollMs);
    return () => clearInterval(t);
  }, [me, pollMs, props.data, props.store, qc, toast]);

  const top = stack[stack.length - 1]!;
  const push = (s: Screen) => setStack((st) => [...st, s]);
  const pop = () => setStack((st) => (st.length > 1 ? st.slice(0, -1) : st));

  async function onQuick(a: Appointment, kind: QuickKind, date?: string) {
    if (!['upcoming', 'confirmed', 'rescheduled'].includes(a.status))
      return toast(`This appointment is ${a.status}; only active ones can be moved`, 'error');
    setToastState(null);
    if (kind === 'reschedule' || kind === 'tomorrow')
      return push({ name: 'reschedule', appt: a, ...tomorrowSameTime(a) });
    if (kind === 'pick') {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date ?? '')) return toast('Pick date wants YYYY-MM-DD', 'error');
      const l = DateTime.fromISO(a.start, { zone: a.timezone });
      const t = DateTime.fromISO(date!, { zone: a.timezone }).set({ hour: l.hour, minute: l.minute });
      if (!t.isValid) return toast(`Not a day: ${date}`, 'error');
      return push({ name: 'reschedule', appt: a, date: date!, target: t.toMillis() });
    }
    toast('Looking for the next available slot…');
    try {
      const alts = await props.data.alternatives(a.id, 'next');
      const first = alts.items[0];
      if (!first) return toast('No free slot ahead', 'error');
      setToastState(null);
      push({
        name: 'reschedule',
        appt: a,
        date: DateTime.fromISO(first.start, { zone: a.timezone }).toISODate()!,
        target: Date.parse(first.start),
      });
    } catch (e) {
      toast(`Next available: ${errorText(e)}`, 'error');
    }
  }
  function onCancel(a: Appointment) {
    if (!['upcoming', 'confirmed', 'rescheduled'].includes(a.status))
      return toast(`This appointment is already ${a.status}`, 'error');
    if (queue.some((x) => x.appointmentId === a.id))
      return toast('An action for this appointment is queued', 'error');
    setToastState(null);
    setCancelFor(a);
  }

  useKeys(
    (input, key) => {
      if (help) {
        if (input === 'q') return exit();
        if (key.escape || input === '?') setHelp(false);
        return;
      }
      if (input === '?') return setHelp(true);
      if (input === 'q') return exit();
      if (key.escape && top.name === 'list' && cancelFor === null) setToastState(null);
    },
    { isActive: !typing && cancelFor === null },
  );

  if (meError)
    return (
      <Box flexDirection="column">
        <Text color="red">appt tui: cannot start: {meError}</Text>
        <Text dimColor>q quits</Text>
      </Box>
    );
  if (!env || !view) return <Text>Loading…</Text>;

  const modalH = cancelFor ? 9 : 0;
  // one spare row: a frame as tall as the terminal would scroll it by a line
  const mainH = Math.max(4, size.rows - 3 - modalH);
  const active = !help && cancelFor === null;
  let main: React.ReactNode;
  if (help) main = <Help />;
  else if (top.name === 'list')
    main = (
      <ListScreen
        view={view}
        setView={(v) => setView((prev) => (typeof v === 'function' ? v(prev ?? view) : v))}
        staff={me!.role !== 'user'}
        active={active}
        width={size.columns}
        height={mainH - 2 - (online ? 0 : 1)}
        selected={selected}
        setSelected={setSelected}
        onOpen={(a) => push({ name: 'detail', id: a.id, fallback: a })}
        onQuick={onQuick}
        onCancel={onCancel}
      />
    );
  else if (top.name === 'detail')
    main = (
      <DetailScreen
        id={top.id}
        fallback={top.fallback}
        active={active}
        width={size.columns}
        height={mainH}
        onBack={pop}
        onQuick={onQuick}
        onCancel={onCancel}
      />
    );
  else
    main = (
      <RescheduleScreen
        key={`${top.appt.id}:${top.date}:${top.target ?? ''}`}
        appt={top.appt}
        date={top.date}
        target={top.target}
        active={active}
        width={size.columns}
        onBack={pop}
        onDone={pop}
      />
    );

  const status = (
    <Text wrap="truncate">
      <Text color={online ? 'green' : 'red'}>● {online ? 'online' : 'offline'}</Text>
      <Text dimColor> · </Text>
      <Text color={rt === 'connected' ? 'green' : 'yellow'}>
        {rt === 'connected'
          ? 'realtime connected'
          : rt === 'off' || rt === 'polling'
            ? `realtime off (polling)`
            : `realtime ${rt}`}
      </Text>
      <Text dimColor> · </Text>
      <Text color={queue.length ? 'yellow' : undefined}>queue {queue.length}</Text>
      <Text dimColor>
        {' '}
        · refreshed {refreshed ? clockTime(refreshed) : '—'} · ? help · q quit · {me!.name} ({me!.role})
      </Text>
    </Text>
  );
  return (
    <EnvContext.Provider value={env}>
      <Box flexDirection="column" width={size.columns}>
        <Box height={mainH} flexDirection="column" overflow="hidden">
          {main}
        </Box>
        {cancelFor && (
          <CancelModal
            appt={cancelFor}
            onNo={() => setCancelFor(null)}
            onYes={(q) => {
              const a = cancelFor;
              setCancelFor(null);
              void cancelAppointment(env, a, q);
            }}
          />
        )}
        <Text
          color={toastMsg?.tone === 'error' ? 'red' : toastMsg?.tone === 'ok' ? 'green' : undefined}
          wrap="truncate"
        >
          {toastMsg?.text ?? ' '}
        </Text>
        {status}
      </Box>
    </EnvContext.Provider>
  );
}
