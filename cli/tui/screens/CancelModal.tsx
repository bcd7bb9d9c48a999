import { Box } from 'ink';
import { hue, Text } from '../ui.js';
import { useState } from 'react';
import type { Appointment, CancellationQuote } from '../../../shared/schemas.js';
import { errorText, isOffline } from '../data.js';
import { useEnv } from '../env.js';
import { useKeys } from '../keys.js';
import { money } from '../format.js';
import { keys, useQ } from '../query.js';
import { describeChange, hasStarted, isActive, zoned } from '../words.js';

/** CancelConfirmationModal: fee and refund from the live quote, the policy text, No, keep / Yes, cancel. */
export function CancelModal(p: {
  appt: Appointment;
  /** the appointment as the modal last saw it (fresh details when they arrived) */
  onYes(a: Appointment, q: CancellationQuote | undefined): void;
  onNo(): void;
}) {
  const env = useEnv();
  // the decision is made on fresh data: the details are fetched (and patched by realtime)
  // while the modal is open, and a change by someone else shows here before `y` is pressed
  const detail = useQ(env.qc, keys.appointment(p.appt.id), () => env.data.detail(p.appt.id));
  const a: Appointment = detail.data ?? p.appt;
  const gone = detail.data && (!isActive(detail.data) || hasStarted(detail.data, env.clock.now()));
  const quote = useQ(env.qc, ['quote', a.id], () => env.data.quote(a.id), { enabled: !gone });
  const [focus, setFocus] = useState<'no' | 'yes'>('no');
  const yes = () => (gone ? undefined : p.onYes(a, quote.data));
  useKeys((input, key) => {
    if (input === 'y') return yes();
    if (input === 'n' || key.escape) return p.onNo();
    if (key.leftArrow || key.rightArrow || key.tab || input === 'h' || input === 'l')
      return setFocus(focus === 'no' ? 'yes' : 'no');
    if (key.return) return focus === 'yes' ? yes() : p.onNo();
  });
  let fee: React.ReactNode;
  if (gone && detail.data)
    fee = (
      <Text color="yellow" bold>
        {isActive(detail.data)
          ? 'This appointment has started; it can no longer be cancelled'
          : describeChange(detail.data, p.appt.version)}{' '}
        — Esc closes
      </Text>
    );
  else if (quote.data)
    fee = (
      <>
        <Text>
          Fee:{' '}
          <Text bold color={quote.data.feeCents > 0 ? 'red' : 'green'}>
            {money(quote.data.feeCents, quote.data.currency)}
          </Text>
          {'  '}Refund: <Text bold>{money(quote.data.refundCents, quote.data.currency)}</Text>
          {'  '}of {money(quote.data.priceCents, quote.data.currency)}
        </Text>
        <Text dimColor>Policy: {quote.data.policy}</Text>
      </>
    );
  else if (quote.error)
    fee = (
      <>
        <Text color="yellow">
          {isOffline(quote.error)
            ? 'Fee unknown while offline'
            : `Fee quote failed: ${errorText(quote.error)}`}{' '}
          — policy fee {money(a.cancellationPolicy.feeCents, a.currency)} after{' '}
          {zoned(a.cancellationPolicy.refundableUntil, a.timezone)}
        </Text>
        <Text dimColor>Policy: {a.cancellationPolicy.text}</Text>
        {isOffline(quote.error) && (
          <Text color="yellow">Yes, cancel will be queued until the server is back.</Text>
        )}
      </>
    );
  else fee = <Text>Loading fee quote…</Text>;
  return (
    <Box flexDirection="column" borderStyle="double" borderColor={hue('yellow')} paddingX={1}>
      <Text bold>Cancel this appointment?</Text>
      <Text>
        {a.serviceTitle} with {a.providerName} · {a.userName} · {zoned(a.start, a.timezone)}
      </Text>
      {fee}
      <Box marginTop={1}>
        <Text inverse={focus === 'no'}> No, keep </Text>
        <Text dimColor> (n/Esc) </Text>
        <Text inverse={focus === 'yes'} color="red">
          {' '}
          Yes, cancel{' '}
        </Text>
        <Text dimColor> (y)</Text>
      </Box>
    </Box>
  );
}
