import { Box, Text } from 'ink';
import { useState } from 'react';
import type { Appointment } from '../../../shared/schemas.js';
import { errorText, isOffline } from '../data.js';
import { useEnv } from '../env.js';
import { useKeys } from '../keys.js';
import { cell, localTime, money, STATUS_COLOR } from '../format.js';
import { keys, useQ } from '../query.js';
import type { QuickKind } from './List.js';
import { OfflineBanner, Prompt } from './Parts.js';

/** AppointmentDetail: time, price, policy with the live fee quote, audit timeline, notifications, quick alternatives. */
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
  const quote = useQ(env.qc, ['quote', p.id], () => env.data.quote(p.id), {
    enabled: !!detail.data && ['upcoming', 'confirmed', 'rescheduled'].includes(detail.data.status),
  });
  const [pick, setPick] = useState<string | null>(null);
  const offline = detail.error && isOffline(detail.error);
  const a: Appointment | undefined = detail.data ?? p.fallback;
  useKeys(
    (input, key) => {
      if (key.escape) return p.onBack();
      if (!a) return;
      if (input === 't') return p.onQuick(a, 'tomorrow');
      if (input === 'n') return p.onQuick(a, 'next');
      if (input === 'r') return p.onQuick(a, 'reschedule');
      if (input === 'c') return p.onCancel(a);
      if (input === 'p') {
        env.setTyping(true);
        setPick('');
      }
    },
    { isActive: p.active && pick === null },
  );
  if (!a) {
    if (detail.error)
      return <Text color="red">Could not load the appointment: {errorText(detail.error)} (Esc back)</Text>;
    return <Text>Loading appointment…</Text>;
  }
  const d = detail.data;
  const room = Math.max(2, p.height - 14);
  const audit = d ? d.audit.slice(-Math.max(1, Math.floor(room / 1.5))) : [];
  const notes = d ? d.notifications.slice(-Math.max(1, room - audit.length)) : [];
  return (
    <Box flexDirection="column">
      {offline && <OfflineBanner at={undefined} />}
      {detail.error && !offline && (
        <Text color="red">Could not load the details: {errorText(detail.error)}</Text>
      )}
      <Text bold>
        {a.serviceTitle} with {a.providerName}
      </Text>
      <Text>
        Customer: {a.userName} · <Text color={STATUS_COLOR[a.status]}>{a.status}</Text> · v{a.version}
      </Text>
      <Text>
        Time: {localTime(a.start, a.timezone)}–{localTime(a.end, a.timezone, 'HH:mm')} ({a.timezone})
      </Text>
      {a.previousStart && <Text dimColor>Previously: {localTime(a.previousStart, a.timezone)}</Text>}
      <Text>Price: {money(a.priceCents, a.currency)}</Text>
      <Text>Cancellation policy: {a.cancellationPolicy.text}</Text>
      <Text>
        {quote.data ? (
          <>
            Cancel now: fee{' '}
            <Text color={quote.data.feeCents ? 'red' : 'green'}>
              {money(quote.data.feeCents, quote.data.currency)}
            </Text>
            , refund {money(quote.data.refundCents, quote.data.currency)}
          </>
        ) : quote.error ? (
          <Text color="yellow">Fee quote unavailable: {errorText(quote.error)}</Text>
        ) : a.status === 'cancelled' ? (
          `Cancelled: fee ${money(a.feeCents ?? 0, a.currency)}, refund ${money(a.refundCents ?? 0, a.currency)}`
        ) : (
          'Fee quote…'
        )}
      </Text>
      {d && <Text dimColor>Reschedule policy: {d.reschedulePolicy.text}</Text>}
      <Text bold>Audit</Text>
      {!d && <Text dimColor>{offline ? 'not available offline' : 'loading…'}</Text>}
      {audit.map((e) => (
        <Text key={e.id} wrap="truncate">
          {cell(localTime(e.timestamp, a.timezone, 'MM-dd HH:mm'), 11)} {cell(e.action, 11)}{' '}
          {cell(e.actor.id, 14)}{' '}
          {e.outcome === 'rejected' ? <Text color="red">rejected {e.errorCode}</Text> : ''}
          {e.previousSlot ? `from ${localTime(e.previousSlot.start, a.timezone, 'MM-dd HH:mm')}` : ''}
          {e.newSlot ? ` to ${localTime(e.newSlot.start, a.timezone, 'MM-dd HH:mm')}` : ''}
        </Text>
      ))}
      <Text bold>Notifications</Text>
      {d && notes.length === 0 && <Text dimColor>none yet</Text>}
      {notes.map((n) => (
        <Text key={n.id} wrap="truncate">
          {cell(n.channel, 6)} {cell(n.template, 14)}{' '}
          <Text color={n.status === 'sent' ? 'green' : 'yellow'}>{n.status}</Text>
          {n.attempts > 1 ? ` (${n.attempts} tries)` : ''} {n.recipient}
        </Text>
      ))}
      <Text color="cyan">
        t Tomorrow · n Next available · p Pick date · r Reschedule · c Cancel · Esc back
      </Text>
      {pick !== null && (
        <Prompt
          label="Pick date (YYYY-MM-DD): "
          value={pick}
          onChange={setPick}
          onCancel={() => {
            env.setTyping(false);
            setPick(null);
          }}
          onSubmit={(v) => {
            env.setTyping(false);
            setPick(null);
            p.onQuick(a, 'pick', v.trim());
          }}
        />
      )}
    </Box>
  );
}
