import type { Command } from 'commander';
import { type Factory, makeFactory } from '../factory.js';
import type { IO } from '../io.js';
import { checkId, STAFF_JSON, type StaffActionOptions } from './staff-action-run.js';

/** `appt no-show <id>`: parsing only; the run is runStaffAction (or a test's runF). */
export function newCmdNoShow(
  f: Factory,
  runF: (o: StaffActionOptions) => Promise<void> = async (o) =>
    (await import('./staff-action-run.js')).runStaffAction(f, o),
): Command {
  return f
    .createCommand('no-show')
    .description('Mark an appointment no-show: the customer did not come (staff)')
    .argument('<id>', 'appointment id')
    .option('--reason <text>', 'why (kept in the audit trail)')
    .option('--json', STAFF_JSON)
    .addHelpText(
      'after',
      `
Refused (exit 1, policy_violation) before the appointment has started.

Examples:
  appt no-show 0190a…
  appt no-show 0190a… --reason "no answer by phone" --json`,
    )
    .action(async (id: string, o: { reason?: string; json?: boolean }) =>
      runF({ id: checkId(id), action: 'no-show', reason: o.reason, json: Boolean(o.json) }),
    );
}

export function register(program: Command, io: IO): void {
  const f = makeFactory(io, program);
  program.addCommand(newCmdNoShow(f).copyInheritedSettings(program));
}
