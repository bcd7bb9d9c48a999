import type { QueryClient } from '@tanstack/query-core';
import { type ApiClient, ApiError, type AppointmentDetail, OfflineError } from '../shared/client.js';
import { createQueryClient, keys, queryOptions } from '../shared/query.js';
import { appliedWithKey, doCancel, doReschedule } from './actions.js';
import { type BulkAction, itemKey, itemsHash, type PlanItem, planHash, readPlan } from './bulk-plan.js';
import { type BulkFlags, checkBulkFlags } from './commands/bulk.js';
import { checkDay, positiveInt } from './dates.js';
import { CliError, EXIT } from './exit-codes.js';
import type { IO } from './io.js';
import { withRuntime } from './runtime.js';

export interface ItemResult {
  type: 'item';
  appointmentId: string;
  action: BulkAction;
  result: 'applied' | 'already' | 'failed' | 'dry-run';
  feeCents?: number;
  refundCents?: number;
  currency?: string;
  start?: string;
  to?: string;
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
  if (e instanceof CliError) return { code: 'invalid', status: 0, detail: e.message };
  return { code: 'error', status: 0, detail: (e as Error)?.message ?? String(e) };
}

/** Resolves a reschedule target to a timeslot id (availability is cached per day). */
async function targetSlot(c: ApiClient, d: AppointmentDetail, to: string, qc: QueryClient): Promise<string> {
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
  if (!slot) throw new CliError(`no ${d.serviceTitle} slot starts at ${to}`, EXIT.failed);
  return slot.id;
}

export async function runItem(
  c: ApiClient,
  hash: string,
  it: PlanItem,
  o: { dryRun?: boolean | undefined; waiveFee?: boolean | undefined; reason?: string | undefined },
  qc: QueryClient,
): Promise<ItemResult> {
  const key = itemKey(hash, it.appointmentId);
  const reason = it.reason ?? o.reason;
  const base = { type: 'item' as const, appointmentId: it.appointmentId, action: it.action };
  try {
    if (it.action === 'cancel') {
      if (o.dryRun) {
        const q = await c.cancellationQuote(it.appointmentId);
        return {
          ...base,
          result: 'dry-run',
          feeCents: o.waiveFee ? 0 : q.feeCents,
          refundCents: o.waiveFee ? q.priceCents : q.refundCents,
          currency: q.currency,
        };
      }
      // the key and body are fixed by the plan: a re-run replays the stored answer ("already")
      const r = await doCancel(c, { appointmentId: it.appointmentId, key, reason, waiveFee: o.waiveFee });
      return {
        ...base,
        result: r.outcome,
        feeCents: r.feeCents,
        refundCents: r.refundCents,
        currency: r.appointment.currency,
      };
    }
    const d = (await c.appointment(it.appointmentId)).data;
    if (appliedWithKey(d, key, 'rescheduled')) return { ...base, result: 'already', start: d.start };
    const to = it.to ?? 'next-available';
    // concurrent items can race for the same "next available" slot: the loser looks again
    for (let attempt = 1; ; attempt++) {
      const timeslotId = await targetSlot(c, d, to, qc);
      if (o.dryRun) return { ...base, result: 'dry-run', start: d.start, to: timeslotId };
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
        return { ...base, result: r.outcome, start: r.appointment.start, to: timeslotId };
      } catch (e) {
        if (!(to === 'next-available' && e instanceof ApiError && e.code === 'slot_taken' && attempt < 10))
          throw e;
      }
    }
  } catch (e) {
    // unreachable server or a refused token: stop the run (a re-run finishes it)
    if (e instanceof OfflineError || (e instanceof ApiError && (e.status === 401 || e.status === 403)))
      throw e;
    return { ...base, result: 'failed', error: errorOf(e) };
  }
}

export async function runBulk(io: IO, action: BulkAction, o: BulkFlags): Promise<void> {
  checkBulkFlags(o);
  if (o.date) checkDay(o.date);
  if (o.waiveFee && !o.reason) throw new CliError('--waive-fee needs --reason', EXIT.usage);
  const concurrency = o.concurrency ? positiveInt(o.concurrency, '--concurrency', 64) : 8;
  let items: PlanItem[] = o.file ? readPlan(o.file, action) : [];
  if (o.to && o.file)
    throw new CliError('--to is for filter mode; a plan file gives "to" per row', EXIT.usage);
  await withRuntime(io, { json: o.json, channel: 'bulk', connections: concurrency }, async (rt) => {
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
    const bar = progress(io, items.length);
    const qc = createQueryClient();
    let next = 0;
    let fatal: unknown;
    const worker = async () => {
      while (next < items.length && !fatal) {
        const it = items[next++];
        let r: ItemResult;
        try {
          r = await runItem(rt.client, hash, it, o, qc);
        } catch (e) {
          fatal = e;
          return;
        }
        counts[r.result]++;
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
      seconds: Number(secs.toFixed(3)),
      itemsPerSecond:
        secs > 0
          ? Number(((counts.applied + counts.already + counts.failed + counts['dry-run']) / secs).toFixed(1))
          : 0,
    };
    if (o.json) io.out(`${JSON.stringify(summary)}\n`);
    io.err(
      `bulk ${action} (plan ${hash}): ${items.length} items — ${counts.applied} applied, ${counts.already} already done, ${counts.failed} failed${counts['dry-run'] ? `, ${counts['dry-run']} dry-run` : ''} in ${secs.toFixed(1)} s (${summary.itemsPerSecond}/s)\n`,
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
  });
}

function humanLine(r: ItemResult): string {
  const money = (c: number | undefined) =>
    c === undefined ? '' : `${(c / 100).toFixed(2)} ${r.currency ?? ''}`.trim();
  const extra =
    r.result === 'failed'
      ? `${r.error?.code}: ${r.error?.detail}`
      : r.action === 'cancel'
        ? `fee ${money(r.feeCents)} refund ${money(r.refundCents)}`
        : `${r.start ?? ''}${r.to ? ` → ${r.to}` : ''}`;
  return `${r.result.padEnd(8)} ${r.action} ${r.appointmentId} ${extra}\n`;
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
