import type { Command } from 'commander';
import { addTo, type Factory, makeFactory } from '../factory.js';
import type { IO } from '../io.js';
import type { ServeFlags } from './serve-run.js';

export function register(program: Command, io: IO): void {
  addTo(program, newCmdServe(makeFactory(io, program)));
}

/** `appt serve`: parsing only; the run is runServe in serve-run.js (or a test's runF). */
export function newCmdServe(
  f: Factory,
  runF: (o: ServeFlags) => Promise<void> = async (o) => (await import('./serve-run.js')).runServe(f, o),
): Command {
  return f
    .createCommand('serve')
    .description(
      'Start the appt server (HTTP API, realtime hub, jobs) on a SQLite file in the data directory',
    )
    .option('--port <n>', 'port (env APPT_PORT, default 7400; 0 picks a free port)')
    .option('--host <h>', 'address to bind (env APPT_HOST, default 127.0.0.1)')
    .option(
      '--data-dir <dir>',
      'data directory holding appt.db, mail and exports (env APPT_DATA_DIR, default ./data)',
    )
    .option(
      '--database-url <url>',
      'postgres://… to run on PostgreSQL (env APPT_DATABASE_URL; unset: <data-dir>/appt.db; masked in --print-config)',
    )
    .option('--demo', 'seed demo data when the database is empty')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env APPT_LOG_LEVEL)')
    .option(
      '--reservation-ttl <seconds>',
      'hold TTL in seconds (env APPT_RESERVATION_TTL_SECONDS, default 90)',
    )
    .option(
      '--workers <n>',
      'server processes on one port (node:cluster; env APPT_WORKERS, default 1; above 1 needs PostgreSQL)',
    )
    .option('--no-jobs', 'do not run background jobs in this process')
    .option('--print-config', 'print the effective configuration (secrets masked) and exit')
    .option(
      '--json',
      'machine output: --print-config prints one JSON object (it always does); logs are JSON lines on stdout',
    )
    .addHelpText(
      'after',
      `
Logs are JSON lines (pino) on stdout; status lines go to stderr.
On first start the server writes an admin token to <data-dir>/admin.token (mode 0600).

A taken port ends it at once with exit 1 and one line saying so.

Examples:
  appt serve --print-config --json
  appt serve --demo                  # demo data in ./data, http://127.0.0.1:7400
  appt serve --port 0 --data-dir /tmp/appt
  APPT_SMTP_URL=smtp://127.0.0.1:2525 appt serve
  APPT_DATABASE_URL=postgres://appt@127.0.0.1/appt appt serve --port 7400
  APPT_DATABASE_URL=postgres://appt@127.0.0.1/appt appt serve --workers 4`,
    )
    .action(async (o) => runF(o));
}
