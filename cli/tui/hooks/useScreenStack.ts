import { useCallback, useState } from 'react';
import type { Appointment } from '../../../shared/schemas.js';

/** The screens the shell can show; the list is always at the bottom of the stack. */
export type Screen =
  | { name: 'list' }
  | { name: 'detail'; id: string; fallback: Appointment }
  | { name: 'reschedule'; appt: Appointment; date: string; target?: number | undefined; why?: string };

/** The screen stack: push a screen, Esc pops back to the one below (never below the list). */
export function useScreenStack() {
  const [stack, setStack] = useState<Screen[]>([{ name: 'list' }]);
  const push = useCallback((s: Screen) => setStack((st) => [...st, s]), []);
  const pop = useCallback(() => setStack((st) => (st.length > 1 ? st.slice(0, -1) : st)), []);
  return { stack, top: stack[stack.length - 1]!, push, pop };
}
