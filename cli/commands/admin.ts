import type { Command } from 'commander';
import type { ApiClient } from '../../shared/client.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { IO } from '../io.js';
import { registerAdminOps } from './admin-ops.js';

/**
 * `appt admin …`: the admin contract over HTTP (providers, services, hours, time off,
 * users, tokens, audit search). Backup/restore/check come from admin-ops.ts.
 */

type Render = (data: never, io: IO) => Promise<string> | string;

async function call(
  io: IO,
  json: boolean | undefined,
  fn: (c: ApiClient) => Promise<unknown>,
  render: Render,
) {
  const { withRuntime, toCliError } = await import('../runtime.js');
  await withRuntime(io, { json, replay: false }, async (rt) => {
    let data: unknown;
    try {
      data = await fn(rt.client);
    } catch (e) {
      throw toCliError(e, io, Boolean(json));
    }
    if (json) io.out(`${JSON.stringify(data ?? { ok: true })}\n`);
    else io.out(await render(data as never, io));
  });
}

async function rows(io: IO, headers: string[], data: string[][]): Promise<string> {
  const { table } = await import('../format.js');
  if (!data.length) return '(none)\n';
  return table(
    io,
    headers.map((h, i) => ({ header: h, flex: i > 0 })),
    data,
  );
}

function int(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v))
    throw new CliError(`${flag} must be a whole number (got ${JSON.stringify(v)})`, EXIT.usage);
  return Number(v);
}

function iso(v: string | undefined, flag: string): string | undefined {
  if (v === undefined) return undefined;
  if (Number.isNaN(Date.parse(v)))
    throw new CliError(`${flag} must be an ISO time (got ${JSON.stringify(v)})`, EXIT.usage);
  return new Date(v).toISOString();
}

const DAYS: Record<string, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };

/** "mon-fri=09:00-17:00,sat=10:00-14:00" (or 1-5=…) → hours rows. */
export function parseHours(spec: string): { weekday: number; start: string; end: string }[] {
  const out: { weekday: number; start: string; end: string }[] = [];
  for (const part of spec.split(/[,\s]+/).filter(Boolean)) {
    const m = /^([a-z0-9]+)(?:-([a-z0-9]+))?=(\d{2}:\d{2})-(\d{2}:\d{2})$/i.exec(part);
    const day = (s: string) => DAYS[s.toLowerCase()] ?? (/^[1-7]$/.test(s) ? Number(s) : Number.NaN);
    if (!m || Number.isNaN(day(m[1])) || (m[2] && Number.isNaN(day(m[2]))))
      throw new CliError(
        `--hours: cannot read ${JSON.stringify(part)}; use e.g. mon-fri=09:00-17:00,sat=10:00-14:00`,
        EXIT.usage,
      );
    const a = day(m[1]);
    const b = m[2] ? day(m[2]) : a;
    for (let d = a; d <= b; d++) out.push({ weekday: d, start: m[3], end: m[4] });
  }
  return out;
}

const JSON_NOTE = '--json prints the object(s) the server returns ({"items":[…]} for lists)';

export function register(program: Command, io: IO): void {
  const admin = program
    .command('admin')
    .description(
      'Admin: providers, services, hours, time off, users, tokens, audit search; backup/restore/check',
    )
    .addHelpText(
      'after',
      `
${JSON_NOTE}.

Examples:
  appt admin providers add --name "Dr. Lee" --timezone Europe/London --json
  appt admin services add --provider P --title Checkup --duration 30 --price 5000 --free-until-hours 24 --fee 1500
  appt admin hours set --provider P --hours mon-fri=09:00-17:00,sat=10:00-14:00
  appt admin time-off add --provider P --start 2030-01-08T09:00:00Z --end 2030-01-08T17:00:00Z --reason ill
  appt admin users add --name "Ada" --email ada@example.com
  appt admin token create --name desk --role staff --json
  appt admin token rotate <id>`,
    );

  const providers = admin.command('providers').description('Providers');
  providers
    .command('list')
    .option('--json', JSON_NOTE)
    .action((o) =>
      call(
        io,
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
        io,
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
        io,
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
        io,
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
        io,
        o.json,
        (c) => c.getHours(o.provider),
        (d: { weekday: number; start: string; end: string }[], io) =>
          rows(
            io,
            ['WEEKDAY', 'START', 'END'],
            d.map((h) => [String(h.weekday), h.start, h.end]),
          ),
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
        io,
        o.json,
        (c) => c.setHours(o.provider, body),
        () => `hours set: ${body.length} row(s)\n`,
      );
    });

  const off = admin.command('time-off').description('Time off / busy blocks');
  off
    .command('list')
    .requiredOption('--provider <providerId>')
    .option('--json', JSON_NOTE)
    .action((o) =>
      call(
        io,
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
        io,
        o.json,
        (c) => c.addTimeOff(o.provider, body),
        (t: { id: string }) => `time off ${t.id}\n`,
      );
    });

  const users = admin.command('users').description('Customers');
  users
    .command('list')
    .option('--search <text>')
    .option('--limit <n>')
    .option('--json', JSON_NOTE)
    .action((o) =>
      call(
        io,
        o.json,
        (c) => c.listUsers({ q: o.search, limit: int(o.limit, '--limit') }),
        (d: { items: { id: string; name: string; email: string; phone: string | null }[] }, io) =>
          rows(
            io,
            ['ID', 'NAME', 'EMAIL', 'PHONE'],
            d.items.map((u) => [u.id, u.name, u.email, u.phone ?? '']),
          ),
      ),
    );
  users
    .command('show <id>')
    .option('--json', JSON_NOTE)
    .action((id: string, o) =>
      call(
        io,
        o.json,
        (c) => c.getUser(id),
        (u: { id: string; name: string; email: string }) => `${u.id} ${u.name} <${u.email}>\n`,
      ),
    );
  users
    .command('add')
    .requiredOption('--name <name>')
    .requiredOption('--email <email>')
    .option('--phone <phone>')
    .option('--json', JSON_NOTE)
    .action((o) =>
      call(
        io,
        o.json,
        (c) => c.createUser({ name: o.name, email: o.email, ...(o.phone ? { phone: o.phone } : {}) }),
        (u: { id: string; name: string }) => `user ${u.id} ${u.name}\n`,
      ),
    );

  const token = admin.command('token').alias('tokens').description('API tokens');
  token
    .command('create')
    .requiredOption('--name <name>')
    .requiredOption('--role <role>', 'admin | staff | support | user')
    .option('--user <userId>', 'the customer a user token belongs to')
    .option('--expires <iso>')
    .option('--json', JSON_NOTE)
    .action((o) => {
      if (!['admin', 'staff', 'support', 'user'].includes(o.role))
        throw new CliError('--role must be admin, staff, support or user', EXIT.usage);
      const body = {
        name: o.name as string,
        role: o.role as 'admin',
        ...(o.user ? { userId: o.user as string } : {}),
        ...(o.expires ? { expiresAt: iso(o.expires, '--expires') as string } : {}),
      };
      return call(
        io,
        o.json,
        (c) => c.createToken(body),
        (t: { id: string; token: string }) => `token ${t.id} (shown once):\n${t.token}\n`,
      );
    });
  token
    .command('list')
    .option('--json', JSON_NOTE)
    .action((o) =>
      call(
        io,
        o.json,
        (c) => c.listTokens(),
        (
          d: {
            items: {
              id: string;
              name: string;
              role: string;
              userId: string | null;
              revokedAt: string | null;
              lastUsedAt: string | null;
            }[];
          },
          io,
        ) =>
          rows(
            io,
            ['ID', 'NAME', 'ROLE', 'USER', 'STATE', 'LAST USED'],
            d.items.map((t) => [
              t.id,
              t.name,
              t.role,
              t.userId ?? '',
              t.revokedAt ? 'revoked' : 'active',
              t.lastUsedAt ?? '',
            ]),
          ),
      ),
    );
  token
    .command('revoke <id>')
    .option('--json', JSON_NOTE)
    .action((id: string, o) =>
      call(
        io,
        o.json,
        async (c) => (await c.revokeToken(id)) ?? { id, revoked: true },
        () => `revoked ${id}\n`,
      ),
    );
  token
    .command('rotate <id>')
    .description('Issue a new token for this one and revoke the old')
    .option('--json', JSON_NOTE)
    .action((id: string, o) =>
      call(
        io,
        o.json,
        (c) => c.rotateToken(id),
        (t: { id: string; token: string }) => `token ${t.id} replaces ${id} (shown once):\n${t.token}\n`,
      ),
    );

  admin
    .command('audit')
    .description('Search the audit log (GET /admin/audit)')
    .option('--actor <actorId>')
    .option('--action <action>')
    .option('--appointment <id>')
    .option('--since <iso>')
    .option('--until <iso>')
    .option('--limit <n>')
    .option('--json', JSON_NOTE)
    .action((o) =>
      call(
        io,
        o.json,
        (c) =>
          c.auditSearch({
            actorId: o.actor,
            action: o.action,
            appointmentId: o.appointment,
            since: iso(o.since, '--since'),
            until: iso(o.until, '--until'),
            limit: int(o.limit, '--limit'),
          }),
        (
          d: {
            items: {
              timestamp: string;
              action: string;
              outcome: string;
              actor: { id: string; type: string };
              appointmentId: string | null;
            }[];
          },
          io,
        ) =>
          rows(
            io,
            ['TIME', 'ACTION', 'OUTCOME', 'ACTOR', 'APPOINTMENT'],
            d.items.map((e) => [
              e.timestamp,
              e.action,
              e.outcome,
              `${e.actor.type}:${e.actor.id}`,
              e.appointmentId ?? '',
            ]),
          ),
      ),
    );

  registerAdminOps(admin, io);
}
