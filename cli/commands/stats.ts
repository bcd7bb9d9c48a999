import type { Command } from 'commander';
import { addTo, type Factory, makeFactory } from '../factory.js';
import type { IO } from '../io.js';

export interface StatsFlags {
  since?: string;
  json?: boolean;
}

export function register(program: Command, io: IO): void {
  addTo(program, newCmdStats(makeFactory(io, program)));
}

/** `appt stats`: parsing only; the run is runStats in stats-run.js (or a test's runF). */
export function newCmdStats(
  f: Factory,
  runF: (o: StatsFlags) => Promise<void> = async (o) => (await import('./stats-run.js')).runStats(f, o),
): Command {
  return f
    .createCommand('stats')
    .description(
      'Operational figures for support: bookings, reschedules, cancellations, fees, hold expiry and reschedule failure rates, top failure reasons (GET /admin/stats; admin or support token)',
    )
    .option('--since <span>', 'a span back from now (90m, 24h, 7d, 2w) or an ISO 8601 time', '7d')
    .option('--json', 'print the server’s figures as one JSON object on stdout')
    .addHelpText(
      'after',
      `
Days are UTC days (the JSON says so in dayZone); fees and refunds are per currency,
never added together. Rates: expiry = expired / ended holds created in the window;
reschedule failures = refused / attempted reschedules (from the audit log).

Examples:
  appt stats
  appt stats --since 24h
  appt stats --since 2030-01-01 --json | jq .topFailureReasons`,
    )
    .action(async (o: StatsFlags) => runF(o));
}
