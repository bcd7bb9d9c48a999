import type { Command } from 'commander';
import type { AppointmentDetail, CancellationQuote } from '../../shared/client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { addTo, type Factory, makeFactory, using } from '../factory.js';
import type { IO } from '../io.js';

export function register(program: Command, io: IO): void {
  addTo(program, newCmdShow(makeFactory(io, program)));
}

/** `appt show <id>`: parsing only; the run is runShow (or a test's runF). */
export function newCmdShow(
  f: Factory,
  runF: (id: string, o: { json?: boolean }) => Promise<void> = (id, o) => runShow(f, id, o),
): Command {
  return f
    .createCommand('show')
    .description('One appointment: details, policy, fee quote, audit trail, notification status')
    .argument('<id>', 'appointment id')
    .option(
      '--json',
      'print {"appointment":AppointmentDetail (audit entries carry actor {id,type,name,role} and "by"),"quote":CancellationQuote|null,"offline":bool,"asOf":ISO} on stdout',
    )
    .addHelpText(
      'after',
      `
Offline, the last copy seen is shown with "offline — as of <time>" on stderr (exit 0).

Examples:
  appt show 0190a…
  appt show 0190a… --json | jq .appointment.version`,
    )
    .action(async (id: string, o: { json?: boolean }) => runF(id, o));
}

export async function runShow(f: Factory, id: string, o: { json?: boolean }): Promise<void> {
  const { io } = f;
  const { toCliError, isOffline } = await import('../runtime.js');
  const { snapshotKeys } = await import('../config.js');
  const json = Boolean(o.json);
  await using(f, async () => {
    const rt = await f.runtime({ json });
    const key = snapshotKeys.appointment(id);
    let d: AppointmentDetail;
    let quote: CancellationQuote | null = null;
    let offline = false;
    let asOf = new Date(f.clock.now()).toISOString();
    try {
      d = (await rt.client.appointment(id)).data;
      rt.store.saveSnapshot(key, rt.session.server, d);
      if (['upcoming', 'confirmed', 'rescheduled'].includes(d.status) && rt.session.me?.role !== 'support')
        quote = await rt.client.cancellationQuote(id).catch(() => null);
    } catch (e) {
      if (!isOffline(e)) throw toCliError(e, io, json);
      const snap = rt.store.snapshot<AppointmentDetail>(key);
      if (!snap)
        throw new CliError(
          `offline — cannot reach ${rt.session.server} and no saved copy of ${id}`,
          EXIT.failed,
        );
      d = snap.data;
      offline = true;
      asOf = snap.at;
      io.err(`offline — as of ${asOf}\n`);
    }
    const { when, money, table, statusCell, paint, auditTable, actorLabel } = await import('../format.js');
    if (json) {
      const appointment = { ...d, audit: d.audit.map((e) => ({ ...e, by: actorLabel(e.actor) })) };
      io.out(`${JSON.stringify({ appointment, quote, offline, asOf })}\n`);
      return;
    }
    const z = d.timezone;
    const kv = (k: string, v: string) => `${paint(io, 'bold', k.padEnd(14))}${v}\n`;
    io.out(
      kv('appointment', d.id) +
        kv(
          'status',
          statusCell(io, d.status) +
            (d.needsAttention ? `  needs attention: ${d.attentionReason ?? ''}` : ''),
        ) +
        kv('when', `${when(d.start, z)}–${when(d.end, z).slice(-5)} ${z}`) +
        (d.previousStart
          ? kv('moved from', `${when(d.previousStart, z)} ${z} (${d.rescheduleCount}×)`)
          : '') +
        kv('customer', `${d.userName} (${d.userId})`) +
        kv('provider', `${d.providerName} (${d.providerId})`) +
        kv('service', `${d.serviceTitle}, ${money(d.priceCents, d.currency)}`) +
        kv('version', String(d.version)) +
        (d.cancelledAt
          ? kv(
              'cancelled',
              `${when(d.cancelledAt, z)} ${z} fee ${money(d.feeCents, d.currency)} refund ${money(d.refundCents, d.currency)}${d.cancelReason ? ` — ${d.cancelReason}` : ''}`,
            )
          : '') +
        kv('cancel policy', d.cancellationPolicy.text) +
        kv('reschedule', d.reschedulePolicy.text) +
        (quote
          ? kv(
              'cancel now',
              `fee ${money(quote.feeCents, quote.currency)}, refund ${money(quote.refundCents, quote.currency)} (free until ${when(quote.refundableUntil, z)} ${z})`,
            )
          : ''),
    );
    if (d.audit.length) {
      io.out(`\n${paint(io, 'bold', 'audit')}\n`);
      io.out(auditTable(io, d.audit, z));
    }
    io.out(`\n${paint(io, 'bold', 'notifications')}\n`);
    if (!d.notifications.length) io.out('none\n');
    else
      io.out(
        table(
          io,
          [
            { header: 'CHANNEL' },
            { header: 'TO', flex: true },
            { header: 'TEMPLATE' },
            { header: 'STATUS' },
            { header: 'ATTEMPTS', align: 'right' },
            { header: 'ERROR', flex: true },
          ],
          d.notifications.map((n) => [
            n.channel,
            n.recipient,
            n.template,
            n.status,
            String(n.attempts),
            n.lastError ?? '',
          ]),
        ),
      );
  });
}
