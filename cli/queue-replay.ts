import { apiPort } from './queue/api-port.js';
import { type ReplayItemResult as CoreResult, replay } from './queue/replay.js';
import type { QueuedAction, QueueProblem } from './queue/types.js';
import type { Runtime } from './runtime.js';

export interface ReplayItemResult {
  id: string;
  kind: QueuedAction['kind'];
  appointmentId: string;
  /**
   * applied / already: done, removed from the queue; conflict (409/412) and refused (422):
   * kept, marked; failed (5xx, 429, …), offline, busy (another replayer has it): still queued
   */
  result: 'applied' | 'already' | 'conflict' | 'refused' | 'failed' | 'offline' | 'busy';
  /** still in the queue after this replay */
  queued: boolean;
  error?: QueueProblem | undefined;
}

function cliResult(r: CoreResult): ReplayItemResult {
  const result =
    r.result === 'refused'
      ? r.error?.status === 422
        ? 'refused'
        : 'conflict'
      : r.result === 'kept'
        ? 'failed'
        : r.result;
  return {
    id: r.id,
    kind: r.kind,
    appointmentId: r.appointmentId,
    result,
    queued: r.result !== 'applied' && r.result !== 'already',
    ...(r.error ? { error: r.error } : {}),
  };
}

/**
 * Replays this login's queued intents through the shared queue (cli/queue), reporting each
 * on stderr. Refusals stay in the queue, marked, and are reported with alternatives.
 */
export async function replayQueue(
  rt: Runtime,
  o: { onlyFresh?: boolean; ids?: string[] } = {},
): Promise<ReplayItemResult[]> {
  const { formatAlternatives } = await import('./runtime.js');
  const out = await replay(rt.queue, apiPort(rt.client), {
    ids: o.ids,
    includeRefused: !o.onlyFresh,
    onResult: (r) => {
      const what = `queued ${r.kind} of ${r.appointmentId}`;
      if (r.result === 'applied' || r.result === 'already') rt.io.err(`replayed ${what}: done\n`);
      else if (r.result === 'refused') {
        rt.io.err(`${what} NOT applied: ${r.error?.code}: ${r.error?.detail}\n`);
        if (r.error?.alternatives?.length)
          rt.io.err(formatAlternatives(r.error.alternatives as Parameters<typeof formatAlternatives>[0]));
        rt.io.err(
          `  kept in the queue as ${r.id}: \`appt queue replay ${r.id}\` to retry, \`appt queue drop ${r.id}\` to give up\n`,
        );
      } else if (r.result === 'kept')
        rt.io.err(`${what} still queued: ${r.error?.code}: ${r.error?.detail} (replayed again later)\n`);
      else if (r.result === 'offline') rt.io.err(`${what} still queued: server unreachable\n`);
    },
  });
  return out.map(cliResult);
}
