import type { Command } from 'commander';
import { addTo, type Factory, makeFactory } from '../factory.js';
import type { IO } from '../io.js';

export interface DemoFlags {
  port?: string;
  dataDir?: string;
  reservationTtl?: string;
  json?: boolean;
}

export function register(program: Command, io: IO): void {
  addTo(program, newCmdDemo(makeFactory(io, program)));
}

/** `appt demo`: parsing only; the run is runDemo in demo-run.js (or a test's runF). */
export function newCmdDemo(
  f: Factory,
  runF: (o: DemoFlags) => Promise<void> = async (o) => (await import('./demo-run.js')).runDemo(f, o),
): Command {
  return f
    .createCommand('demo')
    .description('Serve the demo database in-process, save a staff login for the CLI, open the TUI')
    .option('--port <n>', 'port (env APPT_PORT, default 7400; 0 picks a free port)')
    .option('--data-dir <dir>', 'data directory (env APPT_DATA_DIR, default ./data); seeded when empty')
    .option('--reservation-ttl <seconds>', 'hold TTL in seconds')
    .option('--json', 'without a terminal: print {"url","dataDir","log","config"} once serving')
    .addHelpText(
      'after',
      `
Server logs go to <data-dir>/server.log, never to the screen. The staff login is saved in
the CLI config, so \`appt list\` works from another terminal while the demo runs. Without a
terminal it just serves (until Ctrl-C / SIGTERM) and prints the URL.

Examples:
  appt demo
  appt demo --port 0 --data-dir /tmp/appt-demo --json`,
    )
    .action(async (o: DemoFlags) => runF(o));
}
