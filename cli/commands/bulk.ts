import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { addTo, type Factory, makeFactory } from '../factory.js';
import type { IO } from '../io.js';

export interface BulkFlags {
  file?: string;
  provider?: string;
  date?: string;
  to?: string;
  reason?: string;
  waiveFee?: boolean;
  dryRun?: boolean;
  concurrency?: string;
  json?: boolean;
}

const JSON_SHAPE =
  'one line per item {"type":"item","appointmentId","action","result":"applied"|"already"|"failed"|"dry-run","customer"?,"start"?,"timezone"?,"to"?,"toStart"?,"feeCents"?,"refundCents"?,"currency"?,"insideFeeWindow"?,"wouldFail"?:{code,status,detail,exitCode},"error"?:{code,status,detail,alternatives?}} then {"type":"summary","plan","total","applied","already","failed","dryRun","wouldFail"}';

export function register(program: Command, io: IO): void {
  addTo(program, newCmdBulk(makeFactory(io, program)));
}

/** `appt bulk cancel|reschedule`: parsing only; the run is runBulk (or a test's runF). */
export function newCmdBulk(
  f: Factory,
  runF: (action: 'cancel' | 'reschedule', o: BulkFlags) => Promise<void> = async (action, o) =>
    (await import('../bulk-run.js')).runBulk(f, action, o),
): Command {
  const bulk = f
    .createCommand('bulk')
    .description('Scripted bulk cancellations and reschedules with safe re-runs')
    .addHelpText(
      'after',
      `
A plan is CSV (header: appointmentId,action,to,reason) or JSONL (the same keys), or a filter
(--provider P --date D: the provider's active appointments that day). Idempotency keys are
derived from the plan's hash and the appointment — holds included — so re-running the same
plan after a crash or Ctrl-C applies nothing twice and finishes the rest ("already").

--dry-run changes nothing and checks what the real run checks: already done, not active,
started, the new slot free, the minimum notice, the fee a cancel would charge now. An item
the real run would refuse says "would fail: <code>"; the dry run then exits 1, as the real
run would. When the business cancels (a provider is ill), --waive-fee spares the customers
the late-cancellation fee.

Examples:
  appt bulk cancel --provider P --date tomorrow --reason "provider ill" --waive-fee --dry-run
  appt bulk cancel --provider P --date tomorrow --reason "provider ill" --waive-fee
  appt bulk cancel --file plan.csv --concurrency 16 --json > results.jsonl
  appt bulk reschedule --file moves.jsonl --yes
  appt bulk reschedule --provider P --date 2030-01-08 --to next-available`,
    );
  for (const action of ['cancel', 'reschedule'] as const) {
    const c = bulk
      .command(action)
      .description(action === 'cancel' ? 'Cancel many appointments' : 'Move many appointments')
      .option('--file <plan>', 'plan.csv or plan.jsonl')
      .option('--provider <providerId>', 'filter: this provider…')
      .option('--date <day>', "…on this day (today | tomorrow | YYYY-MM-DD in the provider's zone)")
      .option('--reason <text>', 'reason for items without one')
      .option('--dry-run', 'show what would happen (with fees), change nothing')
      .option('--concurrency <n>', 'items in flight at once, 1–64 (default 8)')
      .option('--json', JSON_SHAPE);
    if (action === 'reschedule')
      c.option('--to <target>', 'filter mode target: next-available (default), a timeslot id or ISO time');
    else c.option('--waive-fee', 'waive the cancellation fees, e.g. "provider ill" (staff; needs --reason)');
    c.option('-y, --yes', 'accepted for symmetry: bulk runs never ask').action(async (o: BulkFlags) =>
      runF(action, o),
    );
  }
  return bulk;
}

export function checkBulkFlags(o: BulkFlags): void {
  if (Boolean(o.file) === Boolean(o.provider || o.date))
    throw new CliError('give --file, or a filter (--provider P --date D), not both', EXIT.usage);
  if (!o.file && (!o.provider || !o.date))
    throw new CliError('a filter needs both --provider and --date', EXIT.usage);
}
