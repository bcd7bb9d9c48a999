import type { Command } from 'commander';
import type { Factory } from '../factory.js';
import { call, hoursSpec, int, iso, JSON_NOTE, parseHours, rows, WEEKDAYS } from './admin-common.js';

/** `appt admin providers|services|hours|time-off`: the catalog half of the admin contract. */
export function registerCatalog(admin: Command, f: Factory): void {
  const providers = admin.command('providers').description('Providers');
  providers
    .command('list')
    .option('--json', JSON_NOTE)
    .action((o) =>
      call(
        f,
        o.json,
        (c) => c.providers(),
        (d: { items: { id: string; name: string; timezone: string; email: string | null }[] }, io) =>
          rows(
            io,
            ['ID', 'NAME', 'ZONE', 'EMAIL'],
            d.items.map((p) => [p.id, p.name, p.timezone, p.email ?? '']),
          ),
      ),
    );
  providers
    .command('add')
    .requiredOption('--name <name>')
    .requiredOption('--timezone <zone>', 'IANA zone, e.g. America/New_York')
    .option('--email <email>')
    .option('--json', JSON_NOTE)
    .action((o) =>
      call(
        f,
        o.json,
        (c) =>
          c.createProvider({ name: o.name, timezone: o.timezone, ...(o.email ? { email: o.email } : {}) }),
        (p: { id: string; name: string }) => `provider ${p.id} ${p.name}\n`,
      ),
    );

  const services = admin.command('services').description('Services of a provider');
  services
    .command('list')
    .requiredOption('--provider <providerId>')
    .option('--json', JSON_NOTE)
    .action((o) =>
      call(
        f,
        o.json,
        (c) => c.services(o.provider),
        (
          d: {
            items: {
              id: string;
              title: string;
              durationMinutes: number;
              priceCents: number;
              currency: string;
            }[];
          },
          io,
        ) =>
          rows(
            io,
            ['ID', 'TITLE', 'MINUTES', 'PRICE'],
            d.items.map((s) => [
              s.id,
              s.title,
              String(s.durationMinutes),
              `${(s.priceCents / 100).toFixed(2)} ${s.currency}`,
            ]),
          ),
      ),
    );
  services
    .command('add')
    .requiredOption('--provider <providerId>')
    .requiredOption('--title <title>')
    .requiredOption('--duration <minutes>')
    .requiredOption('--price <cents>')
    .option('--currency <ISO>', 'e.g. USD (default)')
    .option('--buffer-before <minutes>')
    .option('--buffer-after <minutes>')
    .option('--step <minutes>', 'slot step (default: the duration)')
    .option('--min-notice <minutes>')
    .option('--max-advance-days <days>')
    .option('--requires-approval')
    .option('--free-until-hours <h>', 'free cancellation until h hours before')
    .option('--fee <cents>', 'cancellation fee after that')
    .option('--json', JSON_NOTE)
    .action((o) => {
      const body = {
        providerId: o.provider as string,
        title: o.title as string,
        durationMinutes: int(o.duration, '--duration') as number,
        priceCents: int(o.price, '--price') as number,
        ...(o.currency ? { currency: o.currency as string } : {}),
        ...(o.bufferBefore ? { bufferBeforeMinutes: int(o.bufferBefore, '--buffer-before') } : {}),
        ...(o.bufferAfter ? { bufferAfterMinutes: int(o.bufferAfter, '--buffer-after') } : {}),
        ...(o.step ? { slotStepMinutes: int(o.step, '--step') } : {}),
        ...(o.minNotice ? { minNoticeMinutes: int(o.minNotice, '--min-notice') } : {}),
        ...(o.maxAdvanceDays ? { maxAdvanceDays: int(o.maxAdvanceDays, '--max-advance-days') } : {}),
        ...(o.requiresApproval ? { requiresApproval: true } : {}),
        ...(o.freeUntilHours !== undefined || o.fee !== undefined
          ? {
              cancellation: {
                freeUntilHoursBefore: int(o.freeUntilHours ?? '0', '--free-until-hours') as number,
                feeCents: int(o.fee ?? '0', '--fee') as number,
              },
            }
          : {}),
      };
      return call(
        f,
        o.json,
        (c) => c.createService(body as never),
        (s: { id: string; title: string }) => `service ${s.id} ${s.title}\n`,
      );
    });

  const hours = admin.command('hours').description("Weekly working hours (provider's local time)");
  hours
    .command('show')
    .requiredOption('--provider <providerId>')
    .option('--json', JSON_NOTE)
    .action((o) =>
      call(
        f,
        o.json,
        (c) => c.getHours(o.provider),
        async (d: { weekday: number; start: string; end: string }[], io) =>
          // weekdays read as `hours set` takes them (mon…sun), with the spec to paste back
          `${await rows(
            io,
            ['WEEKDAY', 'START', 'END'],
            d.map((h) => [WEEKDAYS[h.weekday - 1] ?? String(h.weekday), h.start, h.end]),
          )}${d.length ? `as --hours: ${hoursSpec(d)}\n` : ''}`,
      ),
    );
  hours
    .command('set')
    .requiredOption('--provider <providerId>')
    .requiredOption('--hours <spec>', 'e.g. mon-fri=09:00-17:00,sat=10:00-14:00 (replaces all)')
    .option('--json', JSON_NOTE)
    .action((o) => {
      const body = parseHours(o.hours);
      return call(
        f,
        o.json,
        (c) => c.setHours(o.provider, body),
        () => `hours set: ${hoursSpec(body)}\n`,
      );
    });

  const off = admin.command('time-off').description('Time off / busy blocks');
  off
    .command('list')
    .requiredOption('--provider <providerId>')
    .option('--json', JSON_NOTE)
    .action((o) =>
      call(
        f,
        o.json,
        (c) => c.listTimeOff(o.provider),
        (
          d: { items: { id: string; start: string; end: string; source: string; reason: string | null }[] },
          io,
        ) =>
          rows(
            io,
            ['ID', 'START', 'END', 'SOURCE', 'REASON'],
            d.items.map((t) => [t.id, t.start, t.end, t.source, t.reason ?? '']),
          ),
      ),
    );
  off
    .command('add')
    .requiredOption('--provider <providerId>')
    .requiredOption('--start <iso>')
    .requiredOption('--end <iso>')
    .option('--reason <text>')
    .option('--json', JSON_NOTE)
    .action((o) => {
      const body = {
        start: iso(o.start, '--start') as string,
        end: iso(o.end, '--end') as string,
        ...(o.reason ? { reason: o.reason as string } : {}),
      };
      return call(
        f,
        o.json,
        (c) => c.addTimeOff(o.provider, body),
        (t: { id: string }) => `time off ${t.id}\n`,
      );
    });
}
