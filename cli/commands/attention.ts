import type { Command } from 'commander';
import { type Factory, makeFactory } from '../factory.js';
import type { IO } from '../io.js';
import { checkId, STAFF_JSON, type StaffActionOptions } from './staff-action-run.js';

/** `appt attention clear <id>`: clears "needs attention" (set when a busy block collides). */
export function newCmdAttention(
  f: Factory,
  runF: (o: StaffActionOptions) => Promise<void> = async (o) =>
    (await import('./staff-action-run.js')).runStaffAction(f, o),
): Command {
  const attention = f
    .createCommand('attention')
    .description('The "needs attention" flag (set when a provider\'s calendar blocks an appointment)')
    .addHelpText('after', '\nExamples:\n  appt attention clear 0190a…');
  attention.addCommand(
    f
      .createCommand('clear')
      .description('Clear "needs attention" once the desk has dealt with it (staff)')
      .argument('<id>', 'appointment id')
      .option('--json', STAFF_JSON)
      .addHelpText(
        'after',
        `
An appointment that is not flagged is left as it is ("nothing changed", exit 0).

Examples:
  appt attention clear 0190a…
  appt attention clear 0190a… --json | jq .outcome`,
      )
      .action(async (id: string, o: { json?: boolean }) =>
        runF({ id: checkId(id), action: 'attention-clear', json: Boolean(o.json) }),
      ),
  );
  return attention;
}

export function register(program: Command, io: IO): void {
  const f = makeFactory(io, program);
  const cmd = newCmdAttention(f).copyInheritedSettings(program);
  for (const c of cmd.commands) c.copyInheritedSettings(program);
  program.addCommand(cmd);
}
