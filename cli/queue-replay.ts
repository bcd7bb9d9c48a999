import { ApiError, OfflineError } from '../shared/client.js';
import { appliedWithKey, doCancel, doReschedule } from './actions.js';
import type { QueuedAction } from './config.js';
import type { Runtime } from './runtime.js';

export interface ReplayItemResult {
  id: string;
  kind: QueuedAction['kind'];
  appointmentId: string;
  result: 'applied' | 'already' | 'conflict' | 'failed' | 'offline';
  error?: { code: string; status: number; detail: string; alternatives?: unknown[] };
}

/**
 * Replays queued offline intents with their own idempotency keys and the version they saw.
 * Refusals stay in the queue, marked, and are reported (with alternatives) — never dropped.
 */
export async function replayQueue(
  rt: Runtime,
  o: { onlyFresh?: boolean; ids?: string[] } = {},
): Promise<ReplayItemResult[]> {
  const results: ReplayItemResult[] = [];
  const all = rt.store.queue().filter((q) => q.server === rt.session.server || !q.server);
  const todo = all.filter((q) => (!o.onlyFresh || !q.lastError) && (!o.ids || o.ids.includes(q.id)));
  for (const q of todo) {
    try {
      const detail = (await rt.client.appointment(q.appointmentId)).data;
      if (q.kind === 'cancel') {
        const r = appliedWithKey(detail, q.idempotencyKey, 'cancelled')
          ? { outcome: 'already' as const }
          : await doCancel(rt.client, {
              appointmentId: q.appointmentId,
              key: q.idempotencyKey,
              version: q.version,
              ...q.cancel,
            });
        results.push({ id: q.id, kind: q.kind, appointmentId: q.appointmentId, result: r.outcome });
      } else if (q.reschedule) {
        const r = await doReschedule(
          rt.client,
          {
            appointmentId: q.appointmentId,
            key: q.idempotencyKey,
            version: q.version,
            providerId: q.reschedule.providerId,
            serviceId: q.reschedule.serviceId,
            timeslotId: q.reschedule.timeslotId,
            reason: q.reschedule.reason,
          },
          detail,
        );
        results.push({ id: q.id, kind: q.kind, appointmentId: q.appointmentId, result: r.outcome });
      }
      await rt.store.removeQueued(q.id);
      rt.io.err(`replayed queued ${q.kind} of ${q.appointmentId}: done\n`);
    } catch (e) {
      if (e instanceof OfflineError) {
        results.push({ id: q.id, kind: q.kind, appointmentId: q.appointmentId, result: 'offline' });
        break;
      }
      if (!(e instanceof ApiError)) throw e;
      const error = {
        code: e.code,
        status: e.status,
        detail: e.detail,
        ...(e.alternatives ? { alternatives: e.alternatives } : {}),
      };
      const conflict = e.status === 409 || e.status === 412;
      results.push({
        id: q.id,
        kind: q.kind,
        appointmentId: q.appointmentId,
        result: conflict ? 'conflict' : 'failed',
        error,
      });
      await rt.store.patchQueued(q.id, { lastError: error, attempts: (q.attempts ?? 0) + 1 });
      rt.io.err(`queued ${q.kind} of ${q.appointmentId} NOT applied: ${e.code}: ${e.detail}\n`);
      if (e.alternatives?.length) {
        const { formatAlternatives } = await import('./runtime.js');
        rt.io.err(formatAlternatives(e.alternatives));
      }
      rt.io.err(
        `  kept in the queue as ${q.id}: \`appt queue replay ${q.id}\` to retry, \`appt queue drop ${q.id}\` to give up\n`,
      );
    }
  }
  return results;
}
