import type { Command } from 'commander';
import { type Factory, makeFactory } from '../factory.js';
import type { IO } from '../io.js';
import { checkId, STAFF_JSON, type StaffActionOptions } from './staff-action-run.js';

/** `appt confirm <id>`: parsing only; the run is runStaffAction (or a test's runF). */
export function newCmdConfirm(
  f: Factory,
  runF: (o: StaffActionOptions) => Promise<void> = async (o) =>
    (await import('./staff-action-run.js')).runStaffAction(f, o),
): Command {
  return f
    .createCommand('confirm')
    .description('Confirm (approve) an appointment of a service that needs approval (staff)')
    .argument('<id>', 'appointment id')
    .option('--reason <text>', 'why (kept in the audit trail)')
    .option('--json', STAFF_JSON)
    .addHelpText(
      'after',
      `
Exit 3 when it has started; exit 1 when it is no longer active (cancelled, completed, no-show).

Examples:
  appt confirm 0190a…
  appt confirm 0190a… --json | jq .appointment.status`,
    )
    .action(async (id: string, o: { reason?: string; json?: boolean }) =>
      runF({ id: checkId(id), action: 'confirm', reason: o.reason, json: Boolean(o.json) }),
    );
}

export function register(program: Command, io: IO): void {
  const f = makeFactory(io, program);
  program.addCommand(newCmdConfirm(f).copyInheritedSettings(program));
}
