import type { Appointment } from '../../shared/schemas.js';
import { errorText, TuiApiError } from './data.js';
import type { TuiEnv } from './env.js';
import { keys, patchAppointment } from './query.js';
import { describeChange } from './words.js';

/** A refusal that means "the appointment changed under you", not a fault of the request. */
export const isStale = (e: unknown): e is TuiApiError =>
  e instanceof TuiApiError &&
  (e.status === 412 ||
    e.code === 'version_mismatch' ||
    e.code === 'appointment_not_active' ||
    e.code === 'appointment_started');

/**
 * After a 412 (or a refusal because the appointment is no longer active) the screen is
 * refreshed from the server and says in words what happened and who did it ("Already
 * cancelled by demo front desk at 10:52 NZDT"), instead of the raw problem detail.
 */
export async function explainStale(env: TuiEnv, a: Appointment, e: TuiApiError, what: string): Promise<void> {
  try {
    const d = await env.data.detail(a.id);
    env.qc.setQueryData(keys.appointment(a.id), d);
    patchAppointment(env.qc, d);
    void env.qc.invalidateQueries({ queryKey: ['appointments'] });
    void env.qc.invalidateQueries({ queryKey: ['quote', a.id] });
    env.toast(`Not ${what}: ${describeChange(d, a.version)}`, 'error');
  } catch {
    env.toast(`Not ${what}: ${errorText(e)}`, 'error');
  }
}
