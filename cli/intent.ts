import { randomUUID } from 'node:crypto';
import type { QueuedAction } from './queue/types.js';
import { CliError, EXIT } from './exit-codes.js';
import type { Runtime } from './runtime.js';

/** A fresh idempotency key for one interactive action. */
export function newKey(kind: string): string {
  return `cli:${kind}:${randomUUID()}`;
}

/** Puts an intent in the offline queue and ends the command with exit 5. */
export async function queueIntent(
  rt: Runtime,
  a: Omit<QueuedAction, 'id' | 'queuedAt' | 'server' | 'version'> & { version: number | null | undefined },
): Promise<never> {
  const item = rt.queue.add({ ...a, version: a.version ?? null });
  if (rt.json)
    rt.io.out(
      `${JSON.stringify({ queued: true, id: item.id, kind: item.kind, appointmentId: item.appointmentId, idempotencyKey: item.idempotencyKey, version: item.version ?? null })}\n`,
    );
  else rt.io.out(`${item.kind} of ${item.appointmentId}: queued, not confirmed (${item.id})\n`);
  throw new CliError(
    `offline — ${item.kind} queued, not confirmed; it is replayed by the next online command or \`appt queue replay\``,
    EXIT.queued,
  ).printed();
}

/** Refuses to ask without a terminal (DESIGN §6: `--yes` or an error instead). */
export function needConfirmation(rt: { io: Runtime['io'] }, yes: boolean | undefined): void {
  if (!yes && !rt.io.stdinTTY)
    throw new CliError('confirmation needed: no terminal to ask on; pass --yes to go ahead', EXIT.usage);
}

export async function confirm(io: Runtime['io'], question: string): Promise<boolean> {
  const a = (await io.prompt(`${question} [y/N] `)).trim().toLowerCase();
  return a === 'y' || a === 'yes';
}
