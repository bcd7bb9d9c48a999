import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import type { IO } from '../io.js';
import { addTo, type Factory, makeFactory } from '../factory.js';
import { call, int, iso, JSON_NOTE, rows } from './admin-common.js';
import { registerCatalog } from './admin-catalog.js';
import { registerCatalogEdits } from './admin-catalog-edit.js';
import { registerAdminOps } from './admin-ops.js';
import { completeHelp } from './admin-help.js';

export { parseHours } from './admin-common.js';

/**
 * `appt admin …`: the admin contract over HTTP (providers, services, hours, time off,
 * users, tokens, audit search). Backup/restore/check come from admin-ops.ts.
 */

export function register(program: Command, io: IO): void {
  addTo(program, newCmdAdmin(makeFactory(io, program)));
}

/** The `appt admin` tree; every subcommand takes its client, config and IO from `f`. */
export function newCmdAdmin(f: Factory): Command {
  const admin = f
    .createCommand('admin')
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
  appt admin services edit S --price 6000
  appt admin services remove S          # refused while active appointments use it
  appt admin users add --name "Ada" --email ada@example.com --upsert
  appt admin token create --name desk --role staff --json
  appt admin token rotate <id>`,
    );

  registerCatalog(admin, f);
  registerCatalogEdits(admin, f);

  const users = admin.command('users').description('Customers');
  users
    .command('list')
    .option('--search <text>')
    .option('--limit <n>')
    .option('--json', JSON_NOTE)
    .action((o) =>
      call(
        f,
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
        f,
        o.json,
        (c) => c.getUser(id),
        (u: { id: string; name: string; email: string }) => `${u.id} ${u.name} <${u.email}>\n`,
      ),
    );
  users
    .command('add')
    .description(
      'Add a customer; an email that exists is refused (409 email_taken, exit 1) or reused with --upsert',
    )
    .requiredOption('--name <name>')
    .requiredOption('--email <email>')
    .option('--phone <phone>')
    .option(
      '--upsert',
      'when a customer has this email already (any case), use that one (printed; nothing changed)',
    )
    .option('--json', `${JSON_NOTE}; with --upsert an existing customer carries "existing": true`)
    .action((o) =>
      call(
        f,
        o.json,
        async (c) => {
          const body = { name: o.name, email: o.email, ...(o.phone ? { phone: o.phone } : {}) };
          try {
            return await c.createUser(body);
          } catch (e) {
            // the server refuses a second customer with one email (409 email_taken, naming it)
            const { ApiError } = await import('../../shared/api-errors.js');
            if (!(o.upsert && e instanceof ApiError && e.code === 'email_taken')) throw e;
            const id = (e.body as { userId?: string }).userId;
            if (!id) throw e;
            const existing = await c.getUser(id);
            if (existing.name !== o.name)
              f.io.err(`note: ${existing.id} is named ${JSON.stringify(existing.name)} (kept as it is)\n`);
            return { ...existing, existing: true };
          }
        },
        (u: { id: string; name: string; existing?: boolean }) =>
          `${u.existing ? 'existing ' : ''}user ${u.id} ${u.name}\n`,
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
        f,
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
        f,
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
        f,
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
        f,
        o.json,
        (c) => c.rotateToken(id),
        (t: { id: string; token: string }) => `token ${t.id} replaces ${id} (shown once):\n${t.token}\n`,
      ),
    );

  admin
    .command('audit')
    .description('Search the audit log (GET /admin/audit): who did what, when, with the actor named')
    .option(
      '--actor <name|id>',
      'a token or customer name ("demo front desk"), or an actor id (token:…, a user id)',
    )
    .option('--action <action>', 'created, confirmed, rescheduled, cancelled, completed, no_show, …')
    .option('--appointment <id>')
    .option('--since <when>', 'a span back from now (90m, 24h, 7d) or an ISO 8601 time')
    .option('--until <when>', 'the same forms as --since')
    .option('--limit <n>')
    .option('--json', `${JSON_NOTE}; each entry also carries "by" (the actor in words)`)
    .addHelpText(
      'after',
      `
Times are shown in the terminal's zone (TZ), named in the header.

Examples:
  appt admin audit --actor "demo front desk" --since 24h
  appt admin audit --appointment 0190a… --json | jq '.items[] | {timestamp, action, by}'`,
    )
    .action(async (o) => {
      const { resolveActor } = await import('../actor.js');
      const { sinceArg, terminalZone } = await import('../dates.js');
      const since = sinceArg(o.since, '--since');
      const until = sinceArg(o.until, '--until');
      const limit = int(o.limit, '--limit');
      const { actorLabel, auditTable } = await import('../format.js');
      await call(
        f,
        o.json,
        async (c) => {
          const page = await c.auditSearch({
            actorId: o.actor ? await resolveActor(c, o.actor) : undefined,
            action: o.action,
            appointmentId: o.appointment,
            since,
            until,
            limit,
          });
          return { ...page, items: page.items.map((e) => ({ ...e, by: actorLabel(e.actor) })) };
        },
        (d: { items: Parameters<typeof auditTable>[1] }, io) =>
          d.items.length ? auditTable(io, d.items, terminalZone(io.env), { appointment: true }) : '(none)\n',
      );
    });

  registerAdminOps(admin, f);
  completeHelp(admin);
  return admin;
}
