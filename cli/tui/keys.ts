import { type Key, useInput } from 'ink';
import { useRef } from 'react';
import { eachKey } from './data.js';

/**
 * useInput with two fixes for fast typing: the handler that runs is always the one from the
 * latest render (Ink re-attaches handlers in an effect, after the frame is already on screen,
 * so a key sent right after a frame could reach the previous render's closure and act on the
 * previous selection), and a burst of plain keys acts once per key.
 */
export function useKeys(handler: (input: string, key: Key) => void, opts: { isActive?: boolean } = {}): void {
  const latest = useRef(handler);
  latest.current = handler;
  const stable = useRef(eachKey<Key>((input, key) => latest.current(input, key)));
  useInput(stable.current, opts);
}
