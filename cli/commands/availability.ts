import type { Command } from 'commander';
import type { Availability } from '../../shared/client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { addTo, type Factory, makeFactory, using } from '../factory.js';
import type { IO } from '../io.js';

export interface AvailabilityFlags {
  provider?: string;
  service?: string;
  date?: string;
  all?: boolean;
  json?: boolean;
}

export function register(program: Command, io: IO): void {
  addTo(program, newCmdAvailability(makeFactory(io, program)));
}

/** `appt availability`: parsing only; the run is runAvailability (or a test's runF). */
export function newCmdAvailability(
  f: Factory,
  runF: (o: AvailabilityFlags) => Promise<void> = (o) => runAvailability(f, o),
): Command {
  return f
    .createCommand('availability')
    .description("A provider's timeslots for a service on one day, in the provider's zone")
    .requiredOption('--provider <providerId>', 'provider id')
    .requiredOption('--service <serviceId>', 'service id')
    .option('--date <day>', "today | tomorrow | YYYY-MM-DD in the provider's zone (default today)", 'today')
    .option('--all', 'also show reserved, booked and blocked slots')
    .option(
      '--json',
      'print {"providerId","serviceId","date","timezone","timeslots":[{id,start,end,status}],"offline":bool,"asOf":ISO}',
    )
    .addHelpText(
      'after',
      `
Examples:
  appt availability --provider P --service S --date tomorrow
  appt availability --provider P --service S --date 2030-01-08 --json`,
    )
    .action(async (o: AvailabilityFlags) => runF(o));
}

export async function runAvailability(f: Factory, o: AvailabilityFlags): Promise<void> {
  const { io } = f;
  const { checkDay } = await import('../dates.js');
  checkDay(String(o.date));
  const { toCliError, isOffline } = await import('../runtime.js');
  const { snapshotKeys } = await import('../config.js');
  const json = Boolean(o.json);
  await using(f, async () => {
    const rt = await f.runtime({ json });
    const key = snapshotKeys.availability(String(o.provider), String(o.service), String(o.date));
    let av: Availability;
    let offline = false;
    let asOf = new Date(f.clock.now()).toISOString();
    try {
      av = await rt.client.availability(String(o.provider), String(o.service), String(o.date));
      rt.store.saveSnapshot(key, rt.session.server, av);
    } catch (e) {
      if (!isOffline(e)) throw toCliError(e, io, json);
      const snap = rt.store.snapshot<Availability>(key);
      if (!snap)
        throw new CliError(`offline — cannot reach ${rt.session.server} and no saved copy`, EXIT.failed);
      av = snap.data;
      offline = true;
      asOf = snap.at;
      io.err(`offline — as of ${asOf}\n`);
    }
    if (json) {
      io.out(`${JSON.stringify({ ...av, offline, asOf })}\n`);
      return;
    }
    const { hm, table, paint } = await import('../format.js');
    const slots = o.all ? av.timeslots : av.timeslots.filter((s) => s.status === 'available');
    io.err(
      `${av.date} (${av.timezone}): ${av.timeslots.filter((s) => s.status === 'available').length} free of ${av.timeslots.length}\n`,
    );
    if (!slots.length) return;
    io.out(
      table(
        io,
        [
          { header: `START (${av.timezone})` },
          { header: 'END' },
          { header: 'STATUS' },
          { header: 'TIMESLOT', flex: true },
        ],
        slots.map((s) => [
          `${av.date} ${hm(s.start, av.timezone)}`,
          hm(s.end, av.timezone),
          s.status === 'available' ? paint(io, 'green', s.status) : paint(io, 'dim', s.status),
          s.id,
        ]),
      ),
    );
  });
}
