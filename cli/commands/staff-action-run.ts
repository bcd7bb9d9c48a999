import type { Appointment } from '../../shared/client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { type Factory, using } from '../factory.js';

export type StaffAction = 'confirm' | 'complete' | 'no-show' | 'attention-clear';

export interface StaffActionOptions {
  id: string;
  action: StaffAction;
  reason?: string | undefined;
  json: boolean;
}

export const STAFF_JSON =
  'print {"appointment":Appointment,"outcome":"applied"|"already"|"unchanged"}; a failure prints {"error":{code,status,detail,exitCode}}';

const DONE: Record<StaffAction, string> = {
  confirm: 'confirmed',
  complete: 'completed',
  'no-show': 'marked no-show',
  'attention-clear': 'cleared "needs attention" on',
};

/**
 * confirm / complete / no-show / attention clear: one request each, staff only. They are not
 * queued offline (only cancel and reschedule are): unreachable is exit 1, nothing done.
 */
export async function runStaffAction(f: Factory, o: StaffActionOptions): Promise<void> {
  await using(f, () => run(f, o));
}

async function run(f: Factory, o: StaffActionOptions): Promise<void> {
  const { toCliError } = await import('../runtime.js');
  const { newKey } = await import('../intent.js');
  const rt = await f.runtime({ json: o.json });
  const { io } = f;
  let a: Appointment;
  let outcome: 'applied' | 'already' | 'unchanged';
  try {
    if (o.action === 'attention-clear') {
      const d = (await rt.client.appointment(o.id)).data;
      if (!d.needsAttention) {
        a = d;
        outcome = 'unchanged';
      } else {
        a = (await rt.client.attention(o.id, false)).data;
        outcome = 'applied';
      }
    } else {
      // confirm needs a key; complete/no-show take one too, so a retried request is harmless
      const r = await rt.client.action(o.id, o.action, newKey(o.action), { reason: o.reason });
      a = r.data;
      outcome = r.replayed ? 'already' : 'applied';
    }
  } catch (e) {
    throw toCliError(e, io, o.json);
  }
  if (o.json) {
    io.out(`${JSON.stringify({ appointment: a, outcome })}\n`);
    return;
  }
  const { when, statusWord } = await import('../format.js');
  const who = `${a.userName}, ${a.serviceTitle} with ${a.providerName}, ${when(a.start, a.timezone)} ${a.timezone}`;
  if (outcome === 'unchanged') {
    io.err(`${a.id} (${who}) does not need attention: nothing changed\n`);
    return;
  }
  io.out(`${DONE[o.action]} ${a.id}: ${who} — now ${statusWord(a.status)}\n`);
}

/** `<id>` must look like an id before anything is sent. */
export function checkId(id: string): string {
  if (!id.trim()) throw new CliError('give an appointment id', EXIT.usage);
  return id.trim();
}
