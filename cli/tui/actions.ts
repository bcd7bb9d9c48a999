import { randomUUID } from 'node:crypto';
import type { QueryClient } from '@tanstack/query-core';
import type { Appointment, CancellationQuote } from '../../shared/schemas.js';
import { errorText, isOffline, type QueuedAction, TuiApiError, type TuiData, type TuiStore } from './data.js';
import type { TuiEnv } from './env.js';
import { localTime, money } from './format.js';
import { keys, patchAppointment } from './query.js';
import { explainStale, isStale } from './refresh.js';

/**
 * Cancel with optimistic feedback: the row shows `cancelled` at once, the server decides,
 * a failure rolls the row back with a message; offline the intent is queued (never shown done).
 */
export async function cancelAppointment(env: TuiEnv, a: Appointment, quote: CancellationQuote | undefined) {
  const key = randomUUID();
  if (!env.online) return queueCancel(env, a, key);
  const old = patchAppointment(env.qc, { ...a, status: 'cancelled' });
  env.toast(`Cancelling ${a.serviceTitle} at ${localTime(a.start, a.timezone)}…`, 'info');
  try {
    const r = await env.data.cancel(a.id, key, a.version);
    patchAppointment(env.qc, r.appointment);
    void env.qc.invalidateQueries({ queryKey: ['appointments'] });
    void env.qc.invalidateQueries({ queryKey: keys.appointment(a.id) });
    void env.qc.invalidateQueries({ queryKey: ['quote', a.id] });
    env.toast(
      `Cancelled · fee ${money(r.feeCents, a.currency)} · refund ${money(r.refundCents, a.currency)}${
        quote && quote.feeCents !== r.feeCents ? ' (fee changed since the quote)' : ''
      }`,
      'ok',
    );
  } catch (e) {
    if (old) patchAppointment(env.qc, old);
    if (isOffline(e)) return queueCancel(env, a, key);
    if (isStale(e)) return explainStale(env, a, e, 'cancelled');
    env.toast(`Cancel failed, rolled back: ${errorText(e)}`, 'error');
  }
}

function queueCancel(env: TuiEnv, a: Appointment, key: string) {
  env.enqueue({
    kind: 'cancel',
    appointmentId: a.id,
    idempotencyKey: key,
    version: a.version,
    cancel: {},
    summary: `cancel ${a.id} (${a.serviceTitle} ${localTime(a.start, a.timezone)})`,
  });
  env.toast('Offline: cancellation queued — not done until the server confirms', 'info');
}

export interface ReplayOutcome {
  action: QueuedAction;
  ok: boolean;
  message: string;
}

/**
 * Replays queued intents with their own idempotency keys and the version they saw, so a
 * replay after a crash or a second client's replay applies nothing twice. Stops at the first
 * offline failure (the rest stay queued).
 */
export async function replayQueue(data: TuiData, store: TuiStore, qc: QueryClient): Promise<ReplayOutcome[]> {
  const out: ReplayOutcome[] = [];
  // items refused before wait for `appt queue replay` or a drop: the desk decides, not a loop
  for (const q of store.queue().filter((x) => !x.lastError)) {
    try {
      if (q.kind === 'cancel') {
        const r = await data.cancel(q.appointmentId, q.idempotencyKey, q.version);
        patchAppointment(qc, r.appointment);
        out.push({ action: q, ok: true, message: `cancelled ${q.appointmentId}` });
      } else {
        const rs = q.reschedule!;
        const hold = await data.hold({
          providerId: rs.providerId,
          serviceId: rs.serviceId,
          timeslotId: rs.timeslotId,
          appointmentId: q.appointmentId,
        });
        const a = await data.reschedule(
          q.appointmentId,
          hold.reservationToken,
          q.version ?? 0,
          q.idempotencyKey,
        );
        patchAppointment(qc, a);
        out.push({
          action: q,
          ok: true,
          message: `moved ${q.appointmentId} to ${localTime(a.start, a.timezone)}`,
        });
      }
      await store.dequeue(q.id);
    } catch (e) {
      if (isOffline(e)) break;
      const alts =
        e instanceof TuiApiError && e.alternatives.length
          ? ` — nearest: ${e.alternatives
              .slice(0, 3)
              .map((x) => x.start.slice(0, 16).replace('T', ' '))
              .join(', ')} UTC`
          : '';
      out.push({
        action: q,
        ok: false,
        message: `queued ${q.kind} of ${q.appointmentId} failed: ${errorText(e)}${alts} (kept in the queue: appt queue list)`,
      });
      await store.markFailed(q.id, {
        code: e instanceof TuiApiError ? e.code : 'failed',
        status: e instanceof TuiApiError ? e.status : 0,
        detail: errorText(e),
        ...(e instanceof TuiApiError && e.alternatives.length ? { alternatives: e.alternatives } : {}),
      });
    }
  }
  if (out.length) void qc.invalidateQueries();
  return out;
}
