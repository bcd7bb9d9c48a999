import { randomUUID } from 'node:crypto';
import type { QueryClient } from '@tanstack/query-core';
import type { Appointment, CancellationQuote } from '../../shared/schemas.js';
import { type ReplayPort, replay } from '../queue/replay.js';
import { errorText, isOffline, type QueuedAction, type TuiData, type TuiStore } from './data.js';
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

/** The shared replay's view of the TUI's data layer. */
function tuiPort(data: TuiData): ReplayPort {
  return {
    detail: (id) => data.detail(id),
    cancel: (id, body, key, version) => data.cancel(id, key, version, body),
    hold: (body, key) => data.hold(body, key),
    reschedule: (id, body, key, version) =>
      data.reschedule(id, body.reservationToken, version, key, body.reason),
  };
}

/**
 * Replays this login's queued intents through the queue the CLI uses too (cli/queue): each
 * under a claim, with its own idempotency key, a keyed hold and the version it saw, so the
 * CLI and the TUI replaying at once apply each intent once. Unreachable, 5xx and 429 leave
 * it queued; only 409/412/422 mark it refused (kept: `appt queue list`).
 */
export async function replayQueue(data: TuiData, store: TuiStore, qc: QueryClient): Promise<ReplayOutcome[]> {
  const out: ReplayOutcome[] = [];
  const results = await replay(store.queueStore, tuiPort(data));
  for (const r of results) {
    if (r.result === 'busy' || r.result === 'offline') continue;
    if (r.result === 'applied' || r.result === 'already') {
      if (r.appointment && 'status' in r.appointment) patchAppointment(qc, r.appointment as Appointment);
      const what =
        r.kind === 'cancel'
          ? `cancelled ${r.appointmentId}`
          : r.appointment
            ? `moved ${r.appointmentId} to ${localTime(r.appointment.start, r.appointment.timezone)}`
            : `moved ${r.appointmentId}`;
      out.push({
        action: r.item,
        ok: true,
        message: r.result === 'already' ? `${what} (done before)` : what,
      });
      continue;
    }
    const alts = (r.error?.alternatives ?? []) as { start: string }[];
    const near = alts.length
      ? ` — nearest: ${alts
          .slice(0, 3)
          .map((x) => x.start.slice(0, 16).replace('T', ' '))
          .join(', ')} UTC`
      : '';
    const err = r.error ? `${r.error.code}: ${r.error.detail}` : 'failed';
    out.push({
      action: r.item,
      ok: false,
      message:
        r.result === 'refused'
          ? `queued ${r.kind} of ${r.appointmentId} failed: ${err}${near} (kept in the queue: appt queue list)`
          : `queued ${r.kind} of ${r.appointmentId} not sent yet: ${err} (still queued)`,
    });
  }
  if (out.length) void qc.invalidateQueries();
  return out;
}
