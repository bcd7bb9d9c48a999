import type { Command } from 'commander';
import { addTo, type Factory, makeFactory } from '../factory.js';
import type { IO } from '../io.js';

export interface WatchFlags {
  user?: string[];
  provider?: string[];
  json?: boolean;
  limit?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command, io: IO): void {
  addTo(program, newCmdWatch(makeFactory(io, program)));
}

/** `appt watch`: parsing only; the run is runWatch in watch-run.js (or a test's runF). */
export function newCmdWatch(
  f: Factory,
  runF: (o: WatchFlags) => Promise<void> = async (o) => (await import('./watch-run.js')).runWatch(f, o),
): Command {
  return f
    .createCommand('watch')
    .description('Print realtime events as they arrive: bookings of a customer, availability of a provider')
    .option(
      '--user <userId>',
      "a customer's booking events (repeatable; a customer token watches its own)",
      collect,
    )
    .option('--provider <providerId>', "a provider's timeslot.updated events (repeatable)", collect)
    .option('--json', 'one JSON object a line: {"at","channel","event","data"}')
    .option('--limit <n>', 'stop after n events (default: run until interrupted)')
    .addHelpText(
      'after',
      `
Events: booking.confirmed, booking.cancelled, booking.rescheduled, booking.updated on
private-user.{userId}.bookings; timeslot.updated on provider.{providerId}.availability.
Connection changes go to stderr; the connection comes back by itself after a drop (events
sent while away are not replayed, so refetch what you show).

Examples:
  appt watch                              # a customer token: your own bookings
  appt watch --provider P --json
  appt watch --user U --provider P --limit 1`,
    )
    .action(async (o: WatchFlags) => runF(o));
}
