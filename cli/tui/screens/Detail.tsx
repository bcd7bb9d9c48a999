import { Box } from 'ink';
import { Text } from '../ui.js';
import { useState } from 'react';
import type { Appointment, AppointmentDetail } from '../../../shared/schemas.js';
import { errorText, isOffline } from '../data.js';
import { useEnv } from '../env.js';
import { localTime, money, STATUS_COLOR } from '../format.js';
import { useKeys } from '../keys.js';
import { parsePickDate } from '../listing.js';
import { keys, useQ } from '../query.js';
import { STAFF_KEYS, type StaffKey, runStaffAction, staffActionRefusal } from '../staff-actions.js';
import { actorWords, describeChange, hasStarted, isActive, statusWord, zoned } from '../words.js';
import type { QuickKind } from './List.js';
import { OfflineBanner, Prompt } from './Parts.js';

const STAFF_HINTS: [string, StaffKey, string][] = [
  ['a', 'confirm', 'confirm'],
  ['x', 'complete', 'complete'],
  ['o', 'no-show', 'no-show'],
  ['!', 'attention', 'clear attention'],
];
/** Only the staff keys that apply to this appointment now. */
const staffHints = (a: Appointment, now: number) =>
  STAFF_HINTS.filter(([, k]) => staffActionRefusal(a, k, now) === null)
    .map(([key, , word]) => `${key} ${word}`)
    .join(' · ');

/** The audit trail and every notification as lines: the scrollable lower part of the detail. */
export function historyLines(d: AppointmentDetail): { key: string; node: React.ReactNode }[] {
  const z = d.timezone;
  const out: { key: string; node: React.ReactNode }[] = [
    {
      key: 'h-audit',
      node: (
        <Text bold>
          Audit ({d.audit.length}) · times in {z}
        </Text>
      ),
    },
  ];
  for (const e of d.audit) {
    const slot = [
      e.previousSlot ? `from ${zoned(e.previousSlot.start, z, 'MM-dd HH:mm')}` : '',
      e.newSlot ? `to ${zoned(e.newSlot.start, z, 'MM-dd HH:mm')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    out.push({
      key: e.id,
      node: (
        <Text wrap="truncate">
          {zoned(e.timestamp, z, 'MM-dd HH:mm')} {statusWord(e.action)}{' '}
          {e.outcome === 'rejected' ? <Text color="red">rejected {e.errorCode} </Text> : ''}
          by {actorWords(e.actor)} via {e.channel}
          {slot ? ` · ${slot}` : ''}
          {e.feeCents ? ` · fee ${money(e.feeCents, d.currency)}` : ''}
          {e.reason ? ` · “${e.reason}”` : ''}
        </Text>
      ),
    });
  }
  out.push({ key: 'h-notes', node: <Text bold>Notifications ({d.notifications.length})</Text> });
  if (d.notifications.length === 0) out.push({ key: 'n-none', node: <Text dimColor>none yet</Text> });
  for (const n of d.notifications)
    out.push({
      key: n.id,
      node: (
        <Text wrap="truncate">
          {zoned(n.updatedAt, z, 'MM-dd HH:mm')} {n.channel} {n.template} to {n.recipient}:{' '}
          <Text color={n.status === 'sent' || n.status === 'delivered' ? 'green' : 'yellow'}>{n.status}</Text>
          {n.attempts > 1 ? ` (${n.attempts} tries)` : ''}
          {n.lastError ? ` · ${n.lastError}` : ''}
        </Text>
      ),
    });
  return out;
}

/**
 * AppointmentDetail: time, price, policy with the live fee quote, the whole audit trail and
 * every notification (scrollable), quick alternatives, and the staff actions.
 */
export function DetailScreen(p: {
  id: string;
  fallback: Appointment | undefined;
  active: boolean;
  width: number;
  height: number;
  onBack(): void;
  onQuick(a: Appointment, kind: QuickKind, date?: string): void;
  onCancel(a: Appointment): void;
}) {
  const env = useEnv();
  const detail = useQ(env.qc, keys.appointment(p.id), () => env.data.detail(p.id));
  const fresh = detail.data;
  const quote = useQ(env.qc, ['quote', p.id], () => env.data.quote(p.id), {
    enabled: !!fresh && isActive(fresh) && !hasStarted(fresh, env.clock.now()),
  });
  const [pick, setPick] = useState<{ text: string; error?: string | undefined } | null>(null);
  const [ask, setAsk] = useState<StaffKey | null>(null);
  const [scroll, setScroll] = useState(0);
  const offline = detail.error && isOffline(detail.error);
  const a: Appointment | undefined = fresh ?? p.fallback;
  const staff = env.me.role === 'staff' || env.me.role === 'admin';
  const lines = fresh ? historyLines(fresh) : [];

  const headerH = 10 + (a?.previousStart ? 1 : 0) + (a?.needsAttention ? 1 : 0) + (a && !isActive(a) ? 1 : 0);
  const room = Math.max(2, p.height - headerH - (pick ? 2 : 0) - (ask ? 1 : 0));
  const maxScroll = Math.max(0, lines.length - room);
  const top = Math.min(scroll, maxScroll);

  useKeys(
    (input, key) => {
      if (ask) {
        const k = ask;
        setAsk(null);
        if (input === 'y' && a) void runStaffAction(env, a, k);
        return;
      }
      if (key.escape) return p.onBack();
      if (key.downArrow || input === 'j') return setScroll(Math.min(maxScroll, top + 1));
      if (key.upArrow || input === 'k') return setScroll(Math.max(0, top - 1));
      if (key.pageDown) return setScroll(Math.min(maxScroll, top + room));
      if (key.pageUp) return setScroll(Math.max(0, top - room));
      if (key.home || input === 'g') return setScroll(0);
      if (key.end || input === 'G') return setScroll(maxScroll);
      if (!a) return;
      if (input === 't') return p.onQuick(a, 'tomorrow');
      if (input === 'n') return p.onQuick(a, 'next');
      if (input === 'r') return p.onQuick(a, 'reschedule');
      if (input === 'c') return p.onCancel(a);
      if (input === 'p') {
        env.setTyping(true);
        return setPick({ text: '' });
      }
      const sk = STAFF_KEYS[input];
      if (sk) {
        if (!staff) return env.toast('staff actions need a staff token', 'error');
        const no = staffActionRefusal(a, sk, env.clock.now());
        if (no) return env.toast(no, 'error');
        // confirm, complete and no-show change the appointment for good: one more key
        if (sk === 'attention') return void runStaffAction(env, a, sk);
        return setAsk(sk);
      }
    },
    { isActive: p.active && pick === null },
  );
  if (!a) {
    if (detail.error)
      return <Text color="red">Could not load the appointment: {errorText(detail.error)} (Esc back)</Text>;
    return <Text>Loading appointment…</Text>;
  }
  const z = a.timezone;
  const changed = fresh && !isActive(fresh) ? describeChange(fresh, p.fallback?.version) : null;
  const started = isActive(a) && hasStarted(a, env.clock.now());
  return (
    <Box flexDirection="column">
      {offline && <OfflineBanner at={undefined} />}
      {detail.error && !offline && (
        <Text color="red">Could not load the details: {errorText(detail.error)}</Text>
      )}
      <Text bold wrap="truncate">
        {a.serviceTitle} with {a.providerName} · {a.userName}
      </Text>
      <Text wrap="truncate">
        <Text color={STATUS_COLOR[a.status]}>{statusWord(a.status)}</Text> · v{a.version}
        {started ? <Text color="yellow"> · started</Text> : ''}
        {fresh ? '' : <Text dimColor> · loading…</Text>}
      </Text>
      {changed && (
        <Text color="yellow" bold wrap="truncate">
          {changed}
        </Text>
      )}
      {a.needsAttention && (
        <Text color="red" wrap="truncate">
          Needs attention: {a.attentionReason ?? 'flagged'}
          {staff ? ' (! clears)' : ''}
        </Text>
      )}
      <Text wrap="truncate">
        Time: {zoned(a.start, z)}–{localTime(a.end, z, 'HH:mm')} ({z})
      </Text>
      {a.previousStart && <Text dimColor>Previously: {zoned(a.previousStart, z)}</Text>}
      <Text wrap="truncate">
        Price: {money(a.priceCents, a.currency)} · Cancellation: {a.cancellationPolicy.text}
      </Text>
      <Text wrap="truncate">
        {quote.data && isActive(a) ? (
          <>
            Cancel now: fee{' '}
            <Text color={quote.data.feeCents ? 'red' : 'green'}>
              {money(quote.data.feeCents, quote.data.currency)}
            </Text>
            , refund {money(quote.data.refundCents, quote.data.currency)}
          </>
        ) : a.status === 'cancelled' ? (
          `Cancelled: fee ${money(a.feeCents ?? 0, a.currency)}, refund ${money(a.refundCents ?? 0, a.currency)}`
        ) : !isActive(a) || started ? (
          <Text dimColor>Cannot be cancelled now</Text>
        ) : quote.error ? (
          <Text color="yellow">Fee quote unavailable: {errorText(quote.error)}</Text>
        ) : (
          'Fee quote…'
        )}
      </Text>
      <Text dimColor wrap="truncate">
        Reschedule: {fresh ? fresh.reschedulePolicy.text : '…'}
      </Text>
      <Box flexDirection="column" height={room}>
        {!fresh && <Text dimColor>{offline ? 'Audit not available offline' : 'loading audit…'}</Text>}
        {lines.slice(top, top + room).map((l) => (
          <Box key={l.key}>{l.node}</Box>
        ))}
      </Box>
      <Text dimColor wrap="truncate">
        {lines.length > room
          ? `j/k scroll ${top + 1}–${Math.min(lines.length, top + room)}/${lines.length} · `
          : ''}
        {isActive(a) && !started
          ? 't Tomorrow · n Next available · p Pick date · r Reschedule · c Cancel · '
          : ''}
        Esc back
      </Text>
      {staff && staffHints(a, env.clock.now()) && (
        <Text dimColor wrap="truncate">
          Staff: {staffHints(a, env.clock.now())}
        </Text>
      )}
      {ask && (
        <Text color="yellow" bold>
          {ask === 'confirm'
            ? 'Confirm this appointment'
            : ask === 'complete'
              ? 'Mark it completed'
              : 'Mark it no-show'}
          ? y = yes · any other key = no
        </Text>
      )}
      {pick !== null && (
        <Prompt
          label="Pick date (today, +3, fri, 12-24): "
          value={pick.text}
          error={pick.error}
          onChange={(text) => setPick({ text })}
          onCancel={() => {
            env.setTyping(false);
            setPick(null);
          }}
          onSubmit={(v) => {
            const r = parsePickDate(v, env.clock.now(), z);
            if (!r.ok) return setPick({ text: v, error: r.error });
            if (r.past) return setPick({ text: v, error: `${r.date} is in the past` });
            env.setTyping(false);
            setPick(null);
            p.onQuick(a, 'pick', r.date);
          }}
        />
      )}
    </Box>
  );
}
