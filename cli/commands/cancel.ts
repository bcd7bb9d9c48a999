import type { Command } from 'commander';
import type { AppointmentDetail, CancellationQuote } from '../../shared/client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { addTo, type Factory, makeFactory, using } from '../factory.js';
import type { IO } from '../io.js';

export interface CancelFlags {
  yes?: boolean;
  reason?: string;
  waiveFee?: boolean;
  json?: boolean;
}

export function register(program: Command, io: IO): void {
  addTo(program, newCmdCancel(makeFactory(io, program)));
}

/** `appt cancel <id>`: parsing only; the run is runCancel (or a test's runF). */
export function newCmdCancel(
  f: Factory,
  runF: (id: string, o: CancelFlags) => Promise<void> = (id, o) => runCancel(f, id, o),
): Command {
  return f
    .createCommand('cancel')
    .description('Cancel an appointment: prints the fee/refund quote, asks unless --yes')
    .argument('<id>', 'appointment id')
    .option('-y, --yes', 'do not ask (required without a terminal)')
    .option('--reason <text>', 'why (kept in the audit trail)')
    .option('--waive-fee', 'waive the cancellation fee (staff; needs --reason)')
    .option(
      '--json',
      'print {"appointment":Appointment,"feeCents","refundCents","quote":CancellationQuote,"outcome":"applied"|"already"|"kept"} ("kept": declined at the prompt, exit 0); offline: {"queued":true,"id","kind","appointmentId","idempotencyKey","version"}',
    )
    .addHelpText(
      'after',
      `
Sends an Idempotency-Key and If-Match with the version shown, so a stale screen cannot
cancel something that changed meanwhile (exit 3). Offline, the cancel is queued (exit 5,
"queued, not confirmed") and replayed by the next online command.

Examples:
  appt cancel 0190a… --yes --reason "customer called"
  appt cancel 0190a… --waive-fee --reason "doctor ill" --yes --json`,
    )
    .action(async (id: string, o: CancelFlags) => runF(id, o));
}

export async function runCancel(f: Factory, id: string, o: CancelFlags): Promise<void> {
  const { io } = f;
  if (o.waiveFee && !o.reason) throw new CliError('--waive-fee needs --reason', EXIT.usage);
  const { toCliError, isOffline } = await import('../runtime.js');
  const { newKey, queueIntent, needConfirmation, confirm } = await import('../intent.js');
  const { snapshotKeys } = await import('../config.js');
  const { doCancel } = await import('../actions.js');
  const json = Boolean(o.json);
  await using(f, async () => {
    const rt = await f.runtime({ json });
    const key = newKey('cancel');
    const intent = {
      kind: 'cancel' as const,
      appointmentId: id,
      idempotencyKey: key,
      cancel: { reason: o.reason, waiveFee: o.waiveFee },
    };
    let detail: AppointmentDetail;
    let quote: CancellationQuote;
    try {
      detail = (await rt.client.appointment(id)).data;
      rt.store.saveSnapshot(snapshotKeys.appointment(id), rt.session.server, detail);
      quote = await rt.client.cancellationQuote(id);
    } catch (e) {
      if (isOffline(e)) {
        const snap = rt.store.snapshot<AppointmentDetail>(snapshotKeys.appointment(id));
        return queueIntent(rt, { ...intent, version: snap?.data.version, summary: `cancel ${id}` });
      }
      throw toCliError(e, io, json);
    }
    const { money, when, statusWord } = await import('../format.js');
    const z = detail.timezone;
    // an appointment that is over cannot be cancelled: say so before any quote
    if (!['upcoming', 'confirmed', 'rescheduled'].includes(detail.status))
      throw new CliError(
        `${id} is ${statusWord(detail.status)}${detail.cancelledAt ? ` since ${when(detail.cancelledAt, z)} ${z}` : ''}: nothing to cancel`,
        EXIT.failed,
      ).withJson({
        error: { code: 'appointment_not_active', status: 409, detail: `appointment is ${detail.status}` },
      });
    if (Date.parse(detail.start) <= f.clock.now())
      throw new CliError(
        `${id} started at ${when(detail.start, z)} ${z}: it can no longer be cancelled (use \`appt complete\` or \`appt no-show\`)`,
        EXIT.conflict,
      ).withJson({
        error: { code: 'appointment_started', status: 409, detail: 'the appointment has already started' },
      });
    io.err(
      `${detail.serviceTitle} with ${detail.providerName} for ${detail.userName}, ${when(detail.start, z)} (${z})\n` +
        `fee ${money(o.waiveFee ? 0 : quote.feeCents, quote.currency)}, refund ${money(o.waiveFee ? quote.priceCents : quote.refundCents, quote.currency)}` +
        ` (free until ${when(quote.refundableUntil, z)} ${z})${o.waiveFee ? ' — fee waived' : ''}\n${quote.policy}\n`,
    );
    // the quote is printed first, so a script without --yes still learns the fee (then exit 2)
    needConfirmation(rt, o.yes);
    if (!o.yes && !(await confirm(io, 'Yes, cancel?'))) {
      io.err('No, keep: nothing changed\n');
      if (json) io.out(`${JSON.stringify({ appointment: detail, quote, outcome: 'kept' })}\n`);
      return;
    }
    try {
      const r = await doCancel(rt.client, {
        appointmentId: id,
        key,
        version: detail.version,
        reason: o.reason,
        waiveFee: o.waiveFee,
      });
      if (json)
        io.out(
          `${JSON.stringify({ appointment: r.appointment, feeCents: r.feeCents, refundCents: r.refundCents, quote, outcome: r.outcome })}\n`,
        );
      else
        io.out(
          `cancelled ${id}: fee ${money(r.feeCents, quote.currency)}, refund ${money(r.refundCents, quote.currency)}\n`,
        );
    } catch (e) {
      if (isOffline(e))
        return queueIntent(rt, { ...intent, version: detail.version, summary: `cancel ${id}` });
      throw toCliError(e, io, json, z);
    }
  });
}
