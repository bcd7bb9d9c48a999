import type { Command } from 'commander';
import type { Appointment } from '../../shared/client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { addTo, type Factory, makeFactory, using } from '../factory.js';
import type { IO } from '../io.js';

export interface ExportFlags {
  user?: string;
  provider?: string;
  out?: string;
  json?: boolean;
}

export function register(program: Command, io: IO): void {
  addTo(program, newCmdExport(makeFactory(io, program)));
}

/** `appt export ics`: parsing only; the run is runExportIcs (or a test's runF). */
export function newCmdExport(
  f: Factory,
  runF: (id: string | undefined, o: ExportFlags) => Promise<void> = (id, o) => runExportIcs(f, id, o),
): Command {
  const exp = f.createCommand('export').description('Export appointments (iCalendar)');
  exp
    .command('ics')
    .description("iCalendar of one appointment, or one calendar of a customer's or a provider's appointments")
    .argument('[id]', 'appointment id (one VEVENT)')
    .option('--user <userId>', 'every appointment of a customer')
    .option('--provider <providerId>', 'every appointment of a provider')
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--json', 'print {"ics":string,"events":number}')
    .addHelpText(
      'after',
      `
UID is the appointment id (stable across reschedules), SEQUENCE its version.

Examples:
  appt export ics 0190a… > visit.ics
  appt export ics --provider P --out clinic.ics
  appt export ics --user U --json | jq -r .ics`,
    )
    .action(async (id: string | undefined, o: ExportFlags) => runF(id, o));
  return exp;
}

export async function runExportIcs(f: Factory, id: string | undefined, o: ExportFlags): Promise<void> {
  const { io } = f;
  const given = [id, o.user, o.provider].filter(Boolean).length;
  if (given !== 1) throw new CliError('give exactly one of <id>, --user, --provider', EXIT.usage);
  const { toCliError } = await import('../runtime.js');
  const json = Boolean(o.json);
  await using(f, async () => {
    const rt = await f.runtime({ json });
    let ics: string;
    try {
      if (id) ics = await rt.client.ics(id);
      else {
        const items: Appointment[] = [];
        let cursor: string | undefined;
        do {
          const p = await rt.client.searchAppointments({
            userId: o.user,
            providerId: o.provider,
            limit: 100,
            cursor,
          });
          items.push(...p.items);
          cursor = p.nextCursor ?? undefined;
        } while (cursor);
        // the calendar builder the server uses (shared/ics.ts): same UIDs and format
        const { calendarFor } = await import('../../shared/ics.js');
        const zone = items[0]?.timezone;
        ics = calendarFor(items, {
          name: o.provider
            ? `appt ${items[0]?.providerName ?? o.provider}`
            : `appt ${items[0]?.userName ?? o.user}`,
          method: 'PUBLISH',
          ...(o.provider && zone ? { timezone: zone } : {}),
        }).toString();
      }
    } catch (e) {
      throw toCliError(e, io, json);
    }
    const events = (ics.match(/^BEGIN:VEVENT/gm) ?? []).length;
    if (o.out) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(o.out, ics);
      io.err(`wrote ${events} event(s) to ${o.out}\n`);
      if (json) io.out(`${JSON.stringify({ file: o.out, events })}\n`);
      return;
    }
    if (json) io.out(`${JSON.stringify({ ics, events })}\n`);
    else io.out(ics.endsWith('\n') ? ics : `${ics}\n`);
  });
}
