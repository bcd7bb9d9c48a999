import type { QueuedAction, QueueProblem, QueueStore } from './store.js';

/**
 * One replay for the CLI and the TUI. What a replayer needs from the server, whatever client
 * it speaks through; errors are told apart by shape (`status`/`code`, or an offline error's
 * name) so both clients' error classes work.
 */
export interface ReplayPort {
  detail(
    id: string,
  ): Promise<{ audit: { action: string; outcome: string; idempotencyKey: string | null }[] }>;
  cancel(
    id: string,
    body: { reason?: string | undefined; waiveFee?: boolean | undefined },
    key: string,
    version: number | undefined,
  ): Promise<{
    appointment: { id: string; start: string; timezone: string };
    feeCents: number;
    refundCents: number;
  }>;
  hold(
    body: { providerId: string; serviceId: string; timeslotId: string; appointmentId: string },
    key: string,
  ): Promise<{ reservationToken: string }>;
  reschedule(
    id: string,
    body: { reservationToken: string; reason?: string | undefined },
    key: string,
    version: number | undefined,
  ): Promise<{ id: string; start: string; timezone: string }>;
}

export type ReplayOutcomeKind =
  /** sent now and applied */
  | 'applied'
  /** applied before (an earlier replay's answer was lost, or another replayer did it) */
  | 'already'
  /** a business refusal (409/412/422): kept, marked */
  | 'refused'
  /** no decision (5xx, 429, another error): still queued */
  | 'kept'
  /** server unreachable: still queued, the replay stops */
  | 'offline'
  /** another replayer holds it right now */
  | 'busy';

export interface ReplayItemResult {
  id: string;
  kind: QueuedAction['kind'];
  appointmentId: string;
  result: ReplayOutcomeKind;
  error?: QueueProblem | undefined;
  /** the appointment after an applied intent */
  appointment?: { id: string; start: string; timezone: string } | undefined;
  item: QueuedAction;
}

/** Status codes that are the server's decision on the intent itself. */
export const REFUSAL_STATUSES = new Set([409, 412, 422]);

export function isOfflineError(e: unknown): boolean {
  const n = (e as { name?: string } | null)?.name ?? '';
  return n === 'OfflineError' || n === 'TuiOfflineError';
}

export function problemOf(e: unknown): QueueProblem {
  const x = e as {
    status?: unknown;
    code?: unknown;
    detail?: unknown;
    message?: unknown;
    alternatives?: unknown;
  };
  const alternatives = Array.isArray(x?.alternatives) && x.alternatives.length ? x.alternatives : undefined;
  return {
    code: typeof x?.code === 'string' ? x.code : isOfflineError(e) ? 'offline' : 'error',
    status: typeof x?.status === 'number' ? x.status : 0,
    detail: String((typeof x?.detail === 'string' && x.detail) || (x?.message as string) || e),
    ...(alternatives ? { alternatives } : {}),
  };
}

/** A refusal ends the intent's automatic replays; an in-flight key is not a refusal (retry). */
export function isRefusal(p: QueueProblem): boolean {
  return REFUSAL_STATUSES.has(p.status) && p.code !== 'idempotency_in_flight';
}

function appliedBefore(d: Awaited<ReturnType<ReplayPort['detail']>>, key: string, action: string): boolean {
  return d.audit.some(
    (e) =>
      e.outcome === 'applied' &&
      e.action === action &&
      e.idempotencyKey !== null &&
      (e.idempotencyKey === key || e.idempotencyKey.startsWith(`${key}:`)),
  );
}

async function send(port: ReplayPort, q: QueuedAction) {
  const version = q.version ?? undefined;
  if (q.kind === 'cancel') {
    const r = await port.cancel(q.appointmentId, q.cancel ?? {}, q.idempotencyKey, version);
    return r.appointment;
  }
  const rs = q.reschedule;
  if (!rs)
    throw Object.assign(new Error('queued reschedule without a target slot'), {
      status: 422,
      code: 'validation',
    });
  // holds are keyed like bulk runs' (`<key>:hold:<slot>:<n>`): a re-run gets its own hold back;
  // a lapsed one is replaced by attempt n+1
  for (let n = 1; ; n++) {
    const hold = await port.hold(
      {
        providerId: rs.providerId,
        serviceId: rs.serviceId,
        timeslotId: rs.timeslotId,
        appointmentId: q.appointmentId,
      },
      `${q.idempotencyKey}:hold:${rs.timeslotId}:${n}`,
    );
    try {
      return await port.reschedule(
        q.appointmentId,
        { reservationToken: hold.reservationToken, reason: rs.reason },
        `${q.idempotencyKey}:rs:${hold.reservationToken}`,
        version,
      );
    } catch (e) {
      const code = (e as { code?: string }).code;
      if ((code !== 'reservation_expired' && code !== 'reservation_not_found') || n >= 3) throw e;
    }
  }
}

/**
 * Replays this login's queued intents, each under a claim, with its own idempotency key
 * and the version it saw (If-Match). Applied → removed; 409/412/422 → kept and marked
 * refused (reason and alternatives kept); unreachable → kept, and the replay stops; 5xx,
 * 429 and anything else → kept for a later replay.
 */
export async function replay(
  queue: QueueStore,
  port: ReplayPort,
  o: { ids?: string[] | undefined; includeRefused?: boolean; onResult?: (r: ReplayItemResult) => void } = {},
): Promise<ReplayItemResult[]> {
  const results: ReplayItemResult[] = [];
  const candidates = queue
    .mine()
    .filter((q) => (o.ids ? o.ids.includes(q.id) : o.includeRefused || !q.lastError));
  for (const c of candidates) {
    const q = queue.claim(c.id, { includeRefused: Boolean(o.ids) || o.includeRefused === true });
    const base = { id: c.id, kind: c.kind, appointmentId: c.appointmentId, item: q ?? c };
    if (!q) {
      // settled or claimed by another replayer since the list was read
      const still = queue.mine().some((x) => x.id === c.id);
      if (still) results.push({ ...base, result: 'busy' });
      continue;
    }
    let r: ReplayItemResult;
    try {
      const detail = await port.detail(q.appointmentId);
      if (appliedBefore(detail, q.idempotencyKey, q.kind === 'cancel' ? 'cancelled' : 'rescheduled')) {
        queue.settle(q.id);
        r = { ...base, result: 'already' };
      } else {
        const appointment = await send(port, q);
        queue.settle(q.id);
        r = { ...base, result: 'applied', appointment };
      }
    } catch (e) {
      const error = problemOf(e);
      if (isOfflineError(e)) {
        queue.keep(q.id, error);
        r = { ...base, result: 'offline', error };
      } else if (isRefusal(error)) {
        queue.refuse(q.id, error);
        r = { ...base, result: 'refused', error };
      } else if (typeof (e as { status?: unknown }).status === 'number') {
        queue.keep(q.id, error);
        r = { ...base, result: 'kept', error };
      } else {
        queue.unclaim(q.id);
        throw e;
      }
    }
    results.push(r);
    o.onResult?.(r);
    if (r.result === 'offline') break;
  }
  return results;
}
