import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import type { Factory } from '../factory.js';
import { call, int, JSON_NOTE } from './admin-common.js';

/**
 * `appt admin providers|services edit|remove` and `time-off remove`. A removal is soft on the
 * server (kept for the appointments and audit entries that name it) and refused with 409
 * has_active_appointments (exit 1) while active appointments or live holds depend on it.
 */

const REMOVED_JSON = `${JSON_NOTE}: {"id","removed":true,"removedAt"}; refused: {"error":{"code":"has_active_appointments",…,"activeAppointments","liveHolds"}}`;

function group(admin: Command, name: string): Command {
  const g = admin.commands.find((c) => c.name() === name);
  if (!g) throw new Error(`appt admin ${name} is not registered`);
  return g;
}

function removed(what: string) {
  return (r: { id: string; removedAt: string }) =>
    `removed ${what} ${r.id} (kept for history, ${r.removedAt})\n`;
}

/** `--flag` values that changed, as the PATCH body; nothing given is a usage error. */
function patchOf<T extends object>(body: T, flags: string): T {
  if (Object.keys(body).length === 0)
    throw new CliError(`nothing to change: give one of ${flags}`, EXIT.usage);
  return body;
}

export function registerCatalogEdits(admin: Command, f: Factory): void {
  const providers = group(admin, 'providers');
  providers
    .command('edit <providerId>')
    .option('--name <name>')
    .option('--email <email>', 'contact email ("" removes it)')
    .option('--caldav-url <url>', 'CalDAV calendar URL ("" removes it and its credentials)')
    .option('--json', JSON_NOTE)
    .action((id: string, o: { name?: string; email?: string; caldavUrl?: string; json?: boolean }) => {
      const body = patchOf(
        {
          ...(o.name !== undefined ? { name: o.name } : {}),
          ...(o.email !== undefined ? { email: o.email || null } : {}),
          ...(o.caldavUrl !== undefined ? { caldavUrl: o.caldavUrl || null } : {}),
        },
        '--name, --email, --caldav-url (the zone is fixed: stored hours depend on it)',
      );
      return call(
        f,
        o.json,
        (c) => c.updateProvider(id, body),
        (p: { id: string; name: string; timezone: string }) => `provider ${p.id} ${p.name} (${p.timezone})\n`,
      );
    });
  providers
    .command('remove <providerId>')
    .option('--json', REMOVED_JSON)
    .action((id: string, o: { json?: boolean }) =>
      call(f, o.json, (c) => c.removeProvider(id), removed('provider')),
    );

  const services = group(admin, 'services');
  services
    .command('edit <serviceId>')
    .option('--title <title>')
    .option('--duration <minutes>')
    .option('--price <cents>')
    .option('--currency <ISO>')
    .option('--buffer-before <minutes>')
    .option('--buffer-after <minutes>')
    .option('--step <minutes>', 'slot step')
    .option('--min-notice <minutes>')
    .option('--max-advance-days <days>')
    .option('--requires-approval', 'new bookings wait for staff to confirm')
    .option('--no-requires-approval', 'new bookings are confirmed at once')
    .option('--free-until-hours <h>', 'new cancellation terms: free until h hours before…')
    .option('--fee <cents>', '…and this fee after that')
    .option('--no-cancellation-fee', 'cancelling is always free')
    .option('--json', JSON_NOTE)
    .action((id: string, o: Record<string, string | boolean | undefined>) => {
      const n = (k: string, flag: string) => (o[k] !== undefined ? int(String(o[k]), flag) : undefined);
      const terms =
        o.cancellationFee === false
          ? { cancellation: null }
          : o.freeUntilHours !== undefined || o.fee !== undefined
            ? {
                cancellation: {
                  freeUntilHoursBefore: n('freeUntilHours', '--free-until-hours') ?? 0,
                  feeCents: n('fee', '--fee') ?? 0,
                },
              }
            : {};
      const fields: [string, string, string][] = [
        ['duration', '--duration', 'durationMinutes'],
        ['price', '--price', 'priceCents'],
        ['bufferBefore', '--buffer-before', 'bufferBeforeMinutes'],
        ['bufferAfter', '--buffer-after', 'bufferAfterMinutes'],
        ['step', '--step', 'slotStepMinutes'],
        ['minNotice', '--min-notice', 'minNoticeMinutes'],
        ['maxAdvanceDays', '--max-advance-days', 'maxAdvanceDays'],
      ];
      const body = patchOf(
        {
          ...(typeof o.title === 'string' ? { title: o.title } : {}),
          ...(typeof o.currency === 'string' ? { currency: o.currency.toUpperCase() } : {}),
          ...Object.fromEntries(
            fields.filter(([k]) => o[k] !== undefined).map(([k, flag, key]) => [key, n(k, flag)]),
          ),
          ...(typeof o.requiresApproval === 'boolean' ? { requiresApproval: o.requiresApproval } : {}),
          ...terms,
        },
        '--title, --duration, --price, --currency, buffers, --step, --min-notice, --max-advance-days, --[no-]requires-approval, --free-until-hours/--fee, --no-cancellation-fee',
      );
      return call(
        f,
        o.json as boolean | undefined,
        (c) => c.updateService(id, body),
        (s: { id: string; title: string; durationMinutes: number; priceCents: number; currency: string }) =>
          `service ${s.id} ${s.title}: ${s.durationMinutes} min, ${(s.priceCents / 100).toFixed(2)} ${s.currency}\n`,
      );
    });
  services
    .command('remove <serviceId>')
    .option('--json', REMOVED_JSON)
    .action((id: string, o: { json?: boolean }) =>
      call(f, o.json, (c) => c.removeService(id), removed('service')),
    );

  const off = group(admin, 'time-off');
  off
    .command('remove <timeOffId>')
    .requiredOption('--provider <providerId>')
    .option('--json', REMOVED_JSON)
    .action((id: string, o: { provider: string; json?: boolean }) =>
      call(f, o.json, (c) => c.removeTimeOff(o.provider, id), removed('time off')),
    );
}
