import type { Command } from 'commander';

/**
 * Every `appt admin` subcommand gets a description and an example in its --help (the ones
 * written next to their command (audit, backup, restore) keep theirs; these fill the rest, in one place so the
 * list is easy to check against the commands).
 */
const HELP: Record<string, { description: string; examples: string[] }> = {
  'providers list': {
    description: 'List providers with their zones',
    examples: ['appt admin providers list', 'appt admin providers list --json | jq -r ".items[].id"'],
  },
  'providers add': {
    description: 'Add a provider (IANA time zone)',
    examples: ['appt admin providers add --name "Dr. Lee" --timezone Europe/London --json'],
  },
  'providers edit': {
    description:
      "Change a provider's name, email or CalDAV URL (the zone is fixed: stored hours depend on it)",
    examples: [
      'appt admin providers edit <providerId> --name "Dr. Lee-Smith"',
      'appt admin providers edit <providerId> --email "" --json',
    ],
  },
  'providers remove': {
    description:
      'Remove a provider and its services (kept for history); refused while active appointments or holds use it',
    examples: ['appt admin providers remove <providerId>', 'appt admin providers remove <providerId> --json'],
  },
  'services list': {
    description: "List a provider's services with price and policies",
    examples: ['appt admin services list --provider P'],
  },
  'services add': {
    description: 'Add a service: duration, price, cancellation and reschedule policy',
    examples: [
      'appt admin services add --provider P --title Checkup --duration 30 --price 5000 --free-until-hours 24 --fee 1500',
    ],
  },
  'services edit': {
    description:
      'Change a service for new bookings; new cancellation terms only while no active appointment uses it',
    examples: [
      'appt admin services edit <serviceId> --price 6000 --title "Checkup (45 min)" --duration 45',
      'appt admin services edit <serviceId> --free-until-hours 48 --fee 2000',
    ],
  },
  'services remove': {
    description: 'Remove a service (kept for history); refused while active appointments or holds use it',
    examples: ['appt admin services remove <serviceId>', 'appt admin services remove <serviceId> --json'],
  },
  'hours show': {
    description: "A provider's weekly hours (mon…sun, provider's local time)",
    examples: ['appt admin hours show --provider P'],
  },
  'hours set': {
    description: 'Replace the weekly hours (the same weekday names hours show prints)',
    examples: ['appt admin hours set --provider P --hours mon-fri=09:00-17:00,sat=10:00-14:00'],
  },
  'time-off list': {
    description: "A provider's time off and busy blocks",
    examples: ['appt admin time-off list --provider P'],
  },
  'time-off add': {
    description: 'Block time (no slots are offered inside it)',
    examples: [
      'appt admin time-off add --provider P --start 2030-01-08T09:00:00Z --end 2030-01-08T17:00:00Z --reason ill',
    ],
  },
  'time-off remove': {
    description: 'Remove time off an admin added (blocks synced from a calendar change there)',
    examples: ['appt admin time-off remove <timeOffId> --provider P'],
  },
  'users list': {
    description: 'List or search customers',
    examples: ['appt admin users list --search ada', 'appt admin users list --json'],
  },
  'users show': { description: 'One customer', examples: ['appt admin users show <userId>'] },
  'users add': {
    description: 'Add a customer',
    examples: [
      'appt admin users add --name "Ada" --email ada@example.com',
      'appt admin users add --name "Ada" --email ada@example.com --upsert --json',
    ],
  },
  'token create': {
    description: 'Create an API token (shown once)',
    examples: ['appt admin token create --name desk --role staff --json'],
  },
  'token list': {
    description: 'List tokens: name, role, last used, revoked',
    examples: ['appt admin token list'],
  },
  'token revoke': { description: 'Revoke a token', examples: ['appt admin token revoke <tokenId>'] },
  'token rotate': {
    description: 'Issue a new token for this one and revoke the old',
    examples: ['appt admin token rotate <tokenId>'],
  },
  check: {
    description: 'Invariants and audit verification (GET /admin/check)',
    examples: ['appt admin check', 'appt admin check --json'],
  },
};

/** Fills in descriptions and examples for admin subcommands that lack them. */
export function completeHelp(admin: Command): void {
  const walk = (c: Command, path: string[]) => {
    for (const sub of c.commands) {
      const p = [...path, sub.name()];
      if (sub.commands.length) {
        walk(sub, p);
        continue;
      }
      const h = HELP[p.join(' ')];
      if (!h) continue;
      if (!sub.description()) sub.description(h.description);
      sub.addHelpText('after', `\nExamples:\n${h.examples.map((e) => `  ${e}`).join('\n')}`);
    }
  };
  walk(admin, []);
}
