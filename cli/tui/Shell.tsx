import { Box, useApp, useStdout } from 'ink';
import { Text } from './ui.js';
import { DateTime } from 'luxon';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Appointment, Me } from '../../shared/schemas.js';
import { cancelAppointment } from './actions.js';
import {
  errorText,
  type RealtimeFeed,
  systemClock,
  type TuiClock,
  type TuiData,
  type TuiStore,
} from './data.js';
import { EnvContext, type TuiEnv } from './env.js';
import { clockTime } from './format.js';
import { useConnectivity } from './hooks/useConnectivity.js';
import { useQueueReplay } from './hooks/useQueueReplay.js';
import { type RtState, useRealtimeSync } from './hooks/useRealtimeSync.js';
import { useScreenStack } from './hooks/useScreenStack.js';
import { useKeys } from './keys.js';
import { makeQueryClient } from './query.js';
import { CancelModal } from './screens/CancelModal.js';
import { DetailScreen } from './screens/Detail.js';
import {
  type ListView,
  ListScreen,
  localZone,
  NO_SELECTION,
  type QuickKind,
  type Selection,
  todayIn,
} from './screens/List.js';
import { Help } from './screens/Parts.js';
import { RescheduleScreen, tomorrowSameTime } from './screens/Reschedule.js';
import { hasStarted, isActive, statusWord } from './words.js';

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

/** How long a toast stays, by tone (errors stay longer: they usually want reading). */
const TOAST_MS = { info: 6_000, ok: 6_000, error: 12_000 } as const;

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

/** Toasts fade: each one goes away on the injected clock after its tone's time. */
function useToast(clock: TuiClock) {
  const [msg, setMsg] = useState<{ text: string; tone: 'info' | 'error' | 'ok'; at: number } | null>(null);
  const toast = useCallback(
    (text: string, tone: 'info' | 'error' | 'ok' = 'info') => setMsg({ text, tone, at: clock.now() }),
    [clock],
  );
  useEffect(() => {
    if (!msg) return;
    return clock.every(1000, () => {
      if (clock.now() - msg.at >= TOAST_MS[msg.tone]) setMsg((m) => (m === msg ? null : m));
    });
  }, [msg, clock]);
  return { msg, toast, clear: useCallback(() => setMsg(null), []) };
}

/** The TUI: loads who the token is, then the list/detail/reschedule screens, modals and the status line. */
export function App(props: AppProps) {
  const { exit } = useApp();
  const clock = props.clock ?? systemClock;
  const qc = useMemo(makeQueryClient, []);
  // cached queries hold garbage-collection timers that would keep the process alive after quit
  useEffect(() => () => qc.clear(), [qc]);
  const size = useSize(props.size);
  const { me, meError, online, setOnline } = useConnectivity(props.data, props.fallbackMe);
  const [refreshed, setRefreshed] = useState<number | null>(null);
  const { msg: toastMsg, toast, clear: clearToast } = useToast(clock);
  const [typing, setTyping] = useState(false);
  const [help, setHelp] = useState(false);
  const { stack, top, push, pop } = useScreenStack();
  const [cancelFor, setCancelFor] = useState<Appointment | null>(null);
  const [view, setView] = useState<ListView | null>(null);
  const [selection, setSelection] = useState<Selection>(NO_SELECTION);

  useEffect(() => {
    if (!me || view) return;
    if (me.role === 'user' && me.userId)
      setView({ kind: 'user', userId: me.userId, customer: me.name, filter: 'upcoming' });
    else setView({ kind: 'day', date: todayIn({ clock }), tz: localZone() });
  }, [me, view, clock]);

  const focus =
    top.name === 'reschedule'
      ? { providerId: top.appt.providerId, userId: top.appt.userId }
      : top.name === 'detail'
        ? { userId: top.fallback.userId }
        : {};
  const rt: RtState = useRealtimeSync({ realtime: props.realtime, me, data: props.data, qc, focus });
  const { queue, enqueue } = useQueueReplay({
    me,
    data: props.data,
    store: props.store,
    qc,
    clock,
    server: props.server,
    online,
    setOnline,
    rt,
    pollMs: props.pollMs,
    toast,
  });

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
        enqueue,
        markRefreshed: () => setRefreshed(clock.now()),
        setTyping,
      }
    : null;

  /** Why an appointment cannot be moved or cancelled now, in words (null: it can). */
  function refusal(a: Appointment, what: 'moved' | 'cancelled'): string | null {
    if (!isActive(a)) return `This appointment is ${statusWord(a.status)}; only active ones can be ${what}`;
    if (hasStarted(a, clock.now()))
      return `This appointment has started; it can no longer be ${what} (staff: x complete, o no-show)`;
    return null;
  }

  async function onQuick(a: Appointment, kind: QuickKind, date?: string) {
    const no = refusal(a, 'moved');
    if (no) return toast(no, 'error');
    clearToast();
    if (kind === 'reschedule' || kind === 'tomorrow')
      return push({ name: 'reschedule', appt: a, ...tomorrowSameTime(a) });
    if (kind === 'pick') {
      // the prompt has already read the day (today, +3, fri, 12-24, …)
      const l = DateTime.fromISO(a.start, { zone: a.timezone });
      const t = DateTime.fromISO(date ?? '', { zone: a.timezone }).set({ hour: l.hour, minute: l.minute });
      if (!t.isValid) return toast(`Not a day: ${date}`, 'error');
      return push({ name: 'reschedule', appt: a, date: date!, target: t.toMillis() });
    }
    toast('Looking for the next available slot…');
    try {
      // the server's "next": the first free slot from now on that is not the current one
      const alts = await props.data.alternatives(a.id, 'next');
      const first = alts.items[0];
      if (!first) return toast('No free slot ahead', 'error');
      clearToast();
      const earlier = Date.parse(first.start) < Date.parse(a.start);
      push({
        name: 'reschedule',
        appt: a,
        date: DateTime.fromISO(first.start, { zone: a.timezone }).toISODate()!,
        target: Date.parse(first.start),
        why: earlier
          ? 'Next available is earlier than the current time: this moves it earlier'
          : 'Next available after now',
      });
    } catch (e) {
      toast(`Next available: ${errorText(e)}`, 'error');
    }
  }
  function onCancel(a: Appointment) {
    const no = refusal(a, 'cancelled');
    if (no) return toast(no, 'error');
    if (queue.some((x) => x.appointmentId === a.id))
      return toast('An action for this appointment is queued', 'error');
    clearToast();
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
      if (key.escape && top.name === 'list' && cancelFor === null) clearToast();
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
  if (!env || !view || !me) return <Text>Loading…</Text>;

  const modalH = cancelFor ? 10 : 0;
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
        staff={me.role !== 'user'}
        active={active}
        width={size.columns}
        height={mainH - 1 - (online ? 0 : 1)}
        selection={selection}
        setSelection={setSelection}
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
        why={top.why}
        active={active}
        width={size.columns}
        onBack={pop}
        onDone={pop}
      />
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
            onYes={(a, q) => {
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
        <StatusLine
          online={online}
          rt={rt}
          queue={queue.length}
          refreshed={refreshed}
          me={me}
          width={size.columns}
          depth={stack.length}
        />
      </Box>
    </EnvContext.Provider>
  );
}

/**
 * Connection, realtime, queue and who is signed in. The identity is kept at 80 columns:
 * the refresh time and the key hints go first when the line is short.
 */
function StatusLine(p: {
  online: boolean;
  rt: RtState;
  queue: number;
  refreshed: number | null;
  me: Me;
  width: number;
  depth: number;
}) {
  const rtText =
    p.rt === 'connected'
      ? 'realtime connected'
      : p.rt === 'off' || p.rt === 'polling'
        ? 'realtime off (polling)'
        : `realtime ${p.rt}`;
  const who = `${p.me.name} (${p.me.role})`;
  const base = `● ${p.online ? 'online' : 'offline'} · ${rtText} · queue ${p.queue} · `;
  const refreshed = ` · refreshed ${p.refreshed ? clockTime(p.refreshed) : '—'}`;
  const hints = ' · ? help';
  const room = p.width - 1 - base.length - who.length;
  const extra =
    room >= refreshed.length + hints.length ? refreshed + hints : room >= hints.length ? hints : '';
  const whoShown = room < 0 ? who.slice(0, Math.max(4, who.length + room - 1)) + '…' : who;
  return (
    <Text wrap="truncate">
      <Text color={p.online ? 'green' : 'red'}>● {p.online ? 'online' : 'offline'}</Text>
      <Text dimColor> · </Text>
      <Text color={p.rt === 'connected' ? 'green' : 'yellow'}>{rtText}</Text>
      <Text dimColor> · </Text>
      <Text color={p.queue ? 'yellow' : undefined}>queue {p.queue}</Text>
      <Text dimColor> · </Text>
      <Text bold>{whoShown}</Text>
      <Text dimColor>{extra}</Text>
    </Text>
  );
}
