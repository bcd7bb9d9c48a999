import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { addTo, type Factory, makeFactory } from '../factory.js';
import type { IO } from '../io.js';

export function register(program: Command, io: IO): void {
  addTo(program, newCmdTui(makeFactory(io, program)));
}

export interface TuiFlags {
  server?: string;
  token?: string;
  json?: boolean;
}

/** `appt tui`: parsing only; the run is runTuiCommand (or a test's runF). */
export function newCmdTui(
  f: Factory,
  runF: (o: TuiFlags) => Promise<void> = (o) => runTuiCommand(f, o),
): Command {
  return f
    .createCommand('tui')
    .description(
      'Open the terminal UI: upcoming/history, details, reschedule with a live hold, cancel with the fee',
    )
    .option('--server <url>', 'server URL (default: the saved login or APPT_SERVER)')
    .option('--token <token>', 'API token (default: the saved login or APPT_TOKEN)')
    .option(
      '--json',
      'the screen itself is interactive; a failure to open it (no terminal, not logged in) prints {"error":{code,status,detail,exitCode}} on stdout',
    )
    .addHelpText(
      'after',
      `
Keys: ? help · q quit · Tab tabs · ↑/↓ j/k move · ←/→ h/l days · Enter open/hold/confirm
      r reschedule · t tomorrow · n next available · p pick date · c cancel · / search · d day view

Examples:
  appt login --server http://127.0.0.1:7400 --token T && appt tui
  APPT_SERVER=http://127.0.0.1:7400 APPT_TOKEN=T appt tui`,
    )
    .action(async (o: TuiFlags) => runF(o));
}

/** Needs a terminal and a login (saved, APPT_SERVER/APPT_TOKEN, or --server/--token). */
export async function runTuiCommand(f: Factory, o: TuiFlags): Promise<void> {
  const { io } = f;
  if (!io.stdinTTY || !io.isTTY)
    throw new CliError('appt tui needs a terminal (stdin and stdout a TTY)', EXIT.usage);
  const { loadSession } = await import('../config.js');
  const session = loadSession(io.env, await f.config());
  const server = o.server ?? session?.server;
  const token = o.token ?? session?.token;
  if (!server || !token)
    throw new CliError(
      'not logged in: run `appt login --server URL --token T` (or set APPT_SERVER and APPT_TOKEN)',
      EXIT.auth,
    );
  const { runTui } = await (await import('../tui/load.js')).loadTui();
  await runTui({ server, token, io, me: session?.token === token ? session.me : undefined });
}
