import { randomUUID } from 'node:crypto';
import type { Appointment } from '../../shared/schemas.js';
import { errorText, isOffline, TuiApiError } from './data.js';
import type { TuiEnv } from './env.js';
import { keys, patchAppointment } from './query.js';
import { hasStarted, isActive, statusWord } from './words.js';

/** The staff actions of the detail screen and their keys (free in the DESIGN's key map). */
export type StaffKey = 'confirm' | 'complete' | 'no-show' | 'attention';
export const STAFF_KEYS: Record<string, StaffKey> = {
  a: 'confirm',
  x: 'complete',
  o: 'no-show',
  '!': 'attention',
};

/**
 * Why a staff action does not apply to this appointment, before asking the server (the same
 * rules the server applies: confirm before the start, complete / no-show once started).
 */
export function staffActionRefusal(a: Appointment, k: StaffKey, now: number): string | null {
  if (k === 'attention') return a.needsAttention ? null : 'This appointment does not need attention';
  if (!isActive(a)) return `This appointment is ${statusWord(a.status)}; nothing to ${k}`;
  if (k === 'confirm') {
    if (a.status !== 'upcoming')
      return `Already ${statusWord(a.status)}: only appointments waiting for approval need confirming`;
    if (hasStarted(a, now)) return 'This appointment has started; it can no longer be confirmed';
    return null;
  }
  if (!hasStarted(a, now))
    return `Only an appointment that has started can be marked ${k === 'complete' ? 'completed' : 'no-show'}`;
  return null;
}

const VERB: Record<StaffKey, string> = {
  confirm: 'confirm',
  complete: 'mark it completed',
  'no-show': 'mark it no-show',
  attention: 'clear the attention flag',
};
const DONE: Record<StaffKey, string> = {
  confirm: 'Confirmed',
  complete: 'Marked completed',
  'no-show': 'Marked no-show',
  attention: 'Attention cleared',
};

/** Runs one staff action and patches every cached copy with the server's answer. */
export async function runStaffAction(env: TuiEnv, a: Appointment, k: StaffKey): Promise<void> {
  const data = env.data;
  if (!data.staffAction || !data.clearAttention) return env.toast('staff actions need the server', 'error');
  if (!env.online) return env.toast('Offline: staff actions need the server (not queued)', 'error');
  try {
    const next =
      k === 'attention' ? await data.clearAttention(a.id) : await data.staffAction(a.id, k, randomUUID());
    patchAppointment(env.qc, next);
    void env.qc.invalidateQueries({ queryKey: ['appointments'] });
    void env.qc.invalidateQueries({ queryKey: keys.appointment(a.id) });
    env.toast(`${DONE[k]}: ${a.serviceTitle} · ${a.userName}`, 'ok');
  } catch (e) {
    if (isOffline(e)) {
      env.setOnline(false);
      return env.toast('Offline: staff actions need the server (not queued)', 'error');
    }
    void env.qc.invalidateQueries({ queryKey: keys.appointment(a.id) });
    const why = e instanceof TuiApiError ? e.message : errorText(e);
    env.toast(`Could not ${VERB[k]}: ${why}`, 'error');
  }
}
