import type { QueryClient } from '@tanstack/query-core';
import { type ApiClient, ApiError, type AppointmentDetail, OfflineError } from '../shared/client.js';
import { createQueryClient, keys, queryOptions } from '../shared/query.js';
import { appliedWithKey, doCancel, doReschedule } from './actions.js';
import { type BulkAction, itemKey, itemsHash, type PlanItem, planHash, readPlan } from './bulk-plan.js';
import { type BulkFlags, checkBulkFlags } from './commands/bulk.js';
import { checkDay, positiveInt } from './dates.js';
import { CliError, EXIT } from './exit-codes.js';
import { type Factory, using } from './factory.js';
import type { IO } from './io.js';
import { when } from './format.js';

export interface ItemResult {
  type: 'item';
  appointmentId: string;
  action: BulkAction;
  result: 'applied' | 'already' | 'failed' | 'dry-run';
  feeCents?: number;
  refundCents?: number;
  currency?: string;
  /** the customer and the appointment's time (zone below), for the people reading the lines */
  customer?: string;
  start?: string;
  timezone?: string;
  to?: string;
  /** a reschedule's new time */
  toStart?: string;
  /** dry run: a cancel now would charge a fee (inside the free-cancellation window) */
  insideFeeWindow?: boolean;
  /** dry run: the refusal the real run would get, with that refusal's exit code */
  wouldFail?: { code: string; status: number; detail: string; exitCode: number };
  error?: { code: string; status: number; detail: string; alternatives?: unknown[] };
}

function errorOf(e: unknown): NonNullable<ItemResult['error']> {
  if (e instanceof ApiError)
    return {
      code: e.code,
      status: e.status,
      detail: e.detail,
      ...(e.alternatives ? { alternatives: e.alternatives } : {}),
    };
  if (e instanceof CliError) {
    const d = e.details as { code?: string; status?: number } | undefined;
    return { code: d?.code ?? 'invalid', status: d?.status ?? 0, detail: e.message };
  }
  return { code: 'error', status: 0, detail: (e as Error)?.message ?? String(e) };
}

/** Resolves a reschedule target to a timeslot id (availability is cached per day). */
async function targetSlot(
  c: ApiClient,
  d: AppointmentDetail,
  to: string,
  qc: QueryClient,
  now: number,
): Promise<string> {
  if (to.startsWith('ts_')) return to;
  if (to === 'next-available') {
    const alts = await c.alternatives(d.id, 'next', undefined, 1);
    if (!alts.items.length) throw new CliError('no free slot ahead', EXIT.failed);
    return alts.items[0].timeslotId;
  }
  const at = Date.parse(to);
  const day = new Intl.DateTimeFormat('en-CA', {
    timeZone: d.timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
  // only ids are needed (they do not change with status): the shared cache saves a request per item
  const av = await qc.fetchQuery(
    queryOptions(keys.availability(d.providerId, d.serviceId, day), () =>
      c.availability(d.providerId, d.serviceId, day),
    ),
  );
  const slot = av.timeslots.find((s) => Date.parse(s.start) === at);
  // availability leaves out slots inside the minimum notice: say that, as the server would
  const notice = d.reschedulePolicy.minNoticeMinutes;
  if (!slot && at - now < notice * 60_000)
    throw new CliError(
      `moves need ${notice} minutes' notice before the new time (${new Date(at).toISOString()})`,
      EXIT.failed,
      { code: 'policy_violation', status: 422 },
    );
  if (!slot) throw new CliError(`no ${d.serviceTitle} slot starts at ${to}`, EXIT.failed);
  return slot.id;
}

export async function runItem(
  c: ApiClient,
  hash: string,
  it: PlanItem,
  o: { dryRun?: boolean | undefined; waiveFee?: boolean | undefined; reason?: string | undefined },
  qc: QueryClient,
  clock: Factory['clock'],
): Promise<ItemResult> {
  const key = itemKey(hash, it.appointmentId);
  const reason = it.reason ?? o.reason;
  const base = { type: 'item' as const, appointmentId: it.appointmentId, action: it.action };
  let who: Pick<ItemResult, 'customer' | 'start' | 'timezone'> = {};
  try {
    if (o.dryRun) {
      const d = (await c.appointment(it.appointmentId)).data;
      const { dryRunItem } = await import('./bulk-dry-run.js');
      const v = await dryRunItem(c, d, it, key, o, qc, clock.now());
      return { ...base, ...stripUndefined(v) };
    }
    if (it.action === 'cancel') {
      // the key and body are fixed by the plan: a re-run replays the stored answer ("already")
      const r = await doCancel(c, { appointmentId: it.appointmentId, key, reason, waiveFee: o.waiveFee });
      return {
        ...base,
        result: r.outcome,
        customer: r.appointment.userName,
        start: r.appointment.start,
        timezone: r.appointment.timezone,
        feeCents: r.feeCents,
        refundCents: r.refundCents,
        currency: r.appointment.currency,
      };
    }
    const d = (await c.appointment(it.appointmentId)).data;
    who = { customer: d.userName, start: d.start, timezone: d.timezone };
    if (appliedWithKey(d, key, 'rescheduled')) return { ...base, ...who, result: 'already' };
    const to = it.to ?? 'next-available';
    // concurrent items can race for the same "next available" slot: the loser looks again
    for (let attempt = 1; ; attempt++) {
      const timeslotId = await targetSlot(c, d, to, qc, clock.now());
      try {
        const r = await doReschedule(
          c,
          {
            appointmentId: d.id,
            key,
            version: d.version,
            providerId: d.providerId,
            serviceId: d.serviceId,
            timeslotId,
            userId: d.userId,
            reason,
          },
          d,
        );
        return {
          ...base,
          ...who,
          result: r.outcome,
          start: d.start,
          to: timeslotId,
          toStart: r.appointment.start,
        };
      } catch (e) {
        if (!(to === 'next-available' && e instanceof ApiError && e.code === 'slot_taken' && attempt < 10))
          throw e;
      }
    }
  } catch (e) {
    // unreachable server or a refused token: stop the run (a re-run finishes it)
    if (e instanceof OfflineError || (e instanceof ApiError && (e.status === 401 || e.status === 403)))
      throw e;
    if (!who.customer && !o.dryRun) {
      // a failed cancel: name the customer and time for the person reading the line
      const d = await c.appointment(it.appointmentId).then(
        (r) => r.data,
        () => undefined,
      );
      if (d) who = { customer: d.userName, start: d.start, timezone: d.timezone };
    }
    return { ...base, ...who, result: 'failed', error: errorOf(e) };
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export async function runBulk(f: Factory, action: BulkAction, o: BulkFlags): Promise<void> {
  const { io } = f;
  checkBulkFlags(o);
  if (o.date) checkDay(o.date);
  if (o.waiveFee && !o.reason) throw new CliError('--waive-fee needs --reason', EXIT.usage);
  const concurrency = o.concurrency ? positiveInt(o.concurrency, '--concurrency', 64) : 8;
  let items: PlanItem[] = o.file ? readPlan(o.file, action) : [];
  if (o.to && o.file)
    throw new CliError('--to is for filter mode; a plan file gives "to" per row', EXIT.usage);
  await using(f, async () => {
    const rt = await f.runtime({ json: o.json, channel: 'bulk', connections: concurrency });
    let hash: string;
    if (o.file) hash = itemsHash(action, items);
    else {
      hash = planHash([action, o.provider, o.date, o.to ?? null, o.reason ?? null, Boolean(o.waiveFee)]);
      let cursor: string | undefined;
      try {
        do {
          const p = await rt.client.searchAppointments({
            providerId: o.provider,
            date: o.date,
            status: 'active',
            limit: 100,
            cursor,
          });
          for (const a of p.items)
            items.push({
              appointmentId: a.id,
              action,
              to: action === 'reschedule' ? (o.to ?? 'next-available') : undefined,
              line: 0,
            });
          cursor = p.nextCursor ?? undefined;
        } while (cursor);
      } catch (e) {
        const { toCliError } = await import('./runtime.js');
        throw toCliError(e, io, false);
      }
      items = items.map((it, i) => ({ ...it, line: i + 1 }));
    }
    const t0 = Date.now();
    const counts = { applied: 0, already: 0, failed: 0, 'dry-run': 0 };
    let wouldFail = 0;
    const bar = progress(io, items.length);
    const qc = createQueryClient();
    let next = 0;
    let fatal: unknown;
    const worker = async () => {
      while (next < items.length && !fatal) {
        const it = items[next++];
        let r: ItemResult;
        try {
          r = await runItem(rt.client, hash, it, o, qc, f.clock);
        } catch (e) {
          fatal = e;
          return;
        }
        counts[r.result]++;
        if (r.wouldFail) wouldFail++;
        bar.tick();
        if (o.json) io.out(`${JSON.stringify(r)}\n`);
        else bar.line(humanLine(r));
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
    } finally {
      // cached queries hold garbage-collection timers that would keep the process alive
      qc.clear();
    }
    bar.done();
    const secs = (Date.now() - t0) / 1000;
    const summary = {
      type: 'summary',
      action,
      plan: hash,
      total: items.length,
      applied: counts.applied,
      already: counts.already,
      failed: counts.failed,
      dryRun: counts['dry-run'],
      wouldFail,
      seconds: Number(secs.toFixed(3)),
      itemsPerSecond:
        secs > 0
          ? Number(((counts.applied + counts.already + counts.failed + counts['dry-run']) / secs).toFixed(1))
          : 0,
    };
    if (o.json) io.out(`${JSON.stringify(summary)}\n`);
    io.err(
      `bulk ${action} (plan ${hash}): ${items.length} items — ${counts.applied} applied, ${counts.already} already done, ${counts.failed} failed${counts['dry-run'] ? `, ${counts['dry-run']} dry-run (${counts['dry-run'] - wouldFail} would apply, ${wouldFail} would fail; nothing changed)` : ''} in ${secs.toFixed(1)} s (${summary.itemsPerSecond}/s)\n`,
    );
    if (fatal instanceof OfflineError)
      throw new CliError(
        `offline — ${fatal.message}; nothing queued: re-run the same plan when the server is back`,
        EXIT.failed,
      ).printed();
    if (fatal) {
      const { toCliError } = await import('./runtime.js');
      const err = toCliError(fatal, io, false);
      throw err instanceof CliError ? err.printed() : err;
    }
    // with --json the item lines and the summary are the output: no extra error document
    if (counts.failed) throw new CliError(`${counts.failed} item(s) failed`, EXIT.failed).printed();
    // the exit code the real run would give: it fails (1) when any item fails
    if (wouldFail)
      throw new CliError(`${wouldFail} item(s) would fail; the real run would exit 1`, EXIT.failed).printed();
  });
}

/** One line per item: who and when first (names before ids), then the id, then the outcome. */
function humanLine(r: ItemResult): string {
  const money = (c: number | undefined) =>
    c === undefined ? '' : `${(c / 100).toFixed(2)} ${r.currency ?? ''}`.trim();
  const t = (iso: string | undefined) =>
    iso && r.timezone ? `${when(iso, r.timezone)} ${r.timezone}` : (iso ?? '');
  const who = [r.customer, t(r.start)].filter(Boolean).join(', ');
  const outcome = r.wouldFail
    ? `would fail: ${r.wouldFail.code} (${r.wouldFail.detail}; exit ${r.wouldFail.exitCode})`
    : r.result === 'failed'
      ? `${r.error?.code}: ${r.error?.detail}`
      : r.action === 'cancel'
        ? `fee ${money(r.feeCents)} refund ${money(r.refundCents)}${r.insideFeeWindow ? ' (inside the fee window)' : ''}`
        : r.toStart || r.to
          ? `→ ${r.toStart ? t(r.toStart) : r.to}`
          : '';
  const label = r.wouldFail ? 'dry-run' : r.result;
  return `${label.padEnd(8)} ${r.action} ${who ? `${who} ` : ''}${r.appointmentId} ${outcome}\n`.replace(
    / \n$/,
    '\n',
  );
}

/** A progress bar on stderr, only on a terminal; item lines print above it. */
function progress(io: IO, total: number) {
  let n = 0;
  let last = 0;
  const draw = (force = false) => {
    if (!io.isErrTTY) return;
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    const width = Math.max(10, Math.min(40, (io.columns || 80) - 30));
    const filled = total ? Math.round((n / total) * width) : width;
    io.err(`\r\u001b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${n}/${total}`);
  };
  return {
    tick() {
      n++;
      draw();
    },
    line(s: string) {
      if (io.isErrTTY) io.err('\r\u001b[2K');
      io.out(s);
      draw(true);
    },
    done() {
      if (io.isErrTTY) io.err('\r\u001b[2K');
    },
  };
}
