import { Box } from 'ink';
import { hue, Text } from '../ui.js';
import { useRef } from 'react';
import { DateTime } from 'luxon';
import type { Alternative } from '../../../shared/schemas.js';
import { localTime, signedMinutes, signedMoney } from '../format.js';
import { useKeys } from '../keys.js';

/** Small shared pieces: the offline banner, a one-line text prompt, help, conflict modal. */
export function OfflineBanner({ at }: { at?: string | undefined }) {
  const when = at ? DateTime.fromISO(at).toFormat('yyyy-MM-dd HH:mm:ss') : 'never (no snapshot)';
  return (
    <Text color="yellow" bold>
      offline — as of {when}
    </Text>
  );
}

export function Prompt(p: {
  label: string;
  value: string;
  /** why the last entry was refused; the prompt stays open */
  error?: string | undefined;
  onChange(v: string): void;
  onSubmit(v: string): void;
  onCancel(): void;
}) {
  // keys can arrive faster than React re-renders: the value typed so far lives in a ref so
  // an Enter right after a letter submits the letter too
  const value = useRef(p.value);
  const change = (v: string) => {
    value.current = v;
    p.onChange(v);
  };
  useKeys((input, key) => {
    if (key.escape) return p.onCancel();
    if (key.return) return p.onSubmit(value.current);
    if (key.backspace || key.delete) return change(value.current.slice(0, -1));
    // Ctrl-U clears the field, as in a shell
    if (key.ctrl && input === 'u') return change('');
    if (!input || key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow) return;
    // a burst ("Ada\r") arrives as one string: type the text, then submit at the newline
    const nl = input.search(/[\r\n]/);
    if (nl >= 0) return p.onSubmit(value.current + input.slice(0, nl));
    change(value.current + input);
  });
  return (
    <Box flexDirection="column">
      {p.error && (
        <Text color="red" wrap="truncate">
          {p.error}
        </Text>
      )}
      <Text wrap="truncate">
        <Text color="cyan">{p.label}</Text>
        {p.value}
        <Text inverse> </Text>
        <Text dimColor> Enter ok · Ctrl-U clear · Esc back</Text>
      </Text>
    </Box>
  );
}

export const HELP_LINES: [string, string][] = [
  ['↑/↓ j/k', 'move in lists, slot grids and the detail'],
  ['g/G Home/End', 'first / last row'],
  ['←/→ h/l', 'previous / next date chip'],
  ['Tab', 'switch tabs (Upcoming / History / Day)'],
  ['Enter', 'open · hold the slot · confirm a held slot'],
  ['r', 'reschedule (tomorrow, same time preselected)'],
  ['t / n / p', 'Tomorrow / Next available / Pick date'],
  ['c', 'cancel: fee shown first; y Yes, cancel · n/Esc No, keep'],
  ['a / x / o', 'detail, staff: confirm / complete / no-show'],
  ['!', 'detail, staff: clear needs attention'],
  ['d', 'toggle day view / customer lists (staff)'],
  ['[ / ]', 'previous / next day in the day view'],
  ['/', 'search by customer or provider (staff)'],
  ['Ctrl-U', 'clear a text field'],
  ['Esc', 'back (leaves a search; releases a held slot)'],
  ['?', 'this help'],
  ['q', 'quit'],
];

export function Help() {
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Text bold>Keys</Text>
      {HELP_LINES.map(([k, v]) => (
        <Text key={k}>
          <Text color="cyan">{k.padEnd(12)}</Text> {v}
        </Text>
      ))}
      <Text dimColor>Esc or ? closes · q quits</Text>
    </Box>
  );
}

export function ConflictModal(p: {
  message: string;
  wantedStart: string | undefined;
  zone: string;
  currency: string;
  alternatives: Alternative[];
  selected: number;
}) {
  const wanted = p.wantedStart ? Date.parse(p.wantedStart) : undefined;
  return (
    <Box flexDirection="column" borderStyle="double" borderColor={hue('red')} paddingX={1}>
      <Text bold color="red">
        Conflict: {p.message}
      </Text>
      {p.alternatives.length === 0 ? (
        <Text>No alternatives nearby. Esc to pick another slot.</Text>
      ) : (
        <>
          <Text>Nearest alternatives (time and price difference):</Text>
          {p.alternatives.slice(0, 6).map((a, i) => (
            <Text key={a.timeslotId} inverse={i === p.selected}>
              {i === p.selected ? '›' : ' '} {localTime(a.start, p.zone)}{' '}
              {signedMinutes(
                wanted !== undefined ? Math.round((Date.parse(a.start) - wanted) / 60_000) : a.deltaMinutes,
              )}{' '}
              · {signedMoney(a.priceDeltaCents, p.currency)}
            </Text>
          ))}
          <Text dimColor>↑/↓ choose · Enter hold it · Esc back</Text>
        </>
      )}
    </Box>
  );
}
