import type { Command } from 'commander';
import type { AppointmentPage } from '../../shared/client.js';
import { CliError, EXIT } from '../exit-codes.js';
import { addTo, type Factory, makeFactory, using } from '../factory.js';
import type { IO } from '../io.js';

export interface ListFlags {
  user?: string;
  upcoming?: boolean;
  history?: boolean;
  provider?: string;
  date?: string;
  status?: string;
  search?: string;
  limit?: string;
  all?: boolean;
  json?: boolean;
}

const STATUSES = ['active', 'upcoming', 'confirmed', 'rescheduled', 'cancelled', 'completed', 'no_show'];

export function register(program: Command, io: IO): void {
  addTo(program, newCmdList(makeFactory(io, program)));
}

/** `appt list`: parsing only; the run is runList (or a test's runF). */
export function newCmdList(
  f: Factory,
  runF: (o: ListFlags) => Promise<void> = (o) => runList(f, o),
): Command {
  return f
    .createCommand('list')
    .description("List appointments: a customer's upcoming/history, or the front-desk day view and search")
    .option('--user <userId>', "a customer's appointments (a customer token lists its own)")
    .option('--upcoming', 'active appointments that have not started (default for --user)')
    .option('--history', 'past, cancelled, completed and no-show appointments, newest first (needs a user)')
    .option('--provider <providerId>', 'only this provider (dates are then days in its zone)')
    .option('--date <day>', "today | tomorrow | YYYY-MM-DD (provider's zone, else the terminal's TZ)")
    .option('--status <status>', `one of ${STATUSES.join(', ')}`)
    .option('--search <text>', 'match customer name/email, provider, service or id prefix')
    .option('--limit <n>', 'rows per page, 1–100 (default 20)')
    .option('--all', 'follow cursors and print every page')
    .option(
      '--json',
      'print {"items":[Appointment],"nextCursor":string|null,"offline":bool,"asOf":ISO} on stdout',
    )
    .addHelpText(
      'after',
      `
Staff without filters get today's day view (terminal TZ). When the server cannot be reached
the last snapshot of the same query is shown, with "offline — as of <time>" on stderr (exit 0).

Examples:
  appt list                                  # today's day view
  appt list --provider P --date tomorrow     # a provider's day, in its zone
  appt list --user U --history --all --json
  appt list --search "doe" --status active`,
    )
    .action(async (o: ListFlags) => runF(o));
}

export async function runList(f: Factory, o: ListFlags): Promise<void> {
  const { io } = f;
  const { checkDay, positiveInt, terminalZone } = await import('../dates.js');
  if (o.upcoming && o.history) throw new CliError('--upcoming and --history exclude each other', EXIT.usage);
  if (o.status && !STATUSES.includes(o.status))
    throw new CliError(`--status must be one of ${STATUSES.join(', ')}`, EXIT.usage);
  if (o.date) checkDay(o.date);
  const limit = o.limit ? positiveInt(o.limit, '--limit', 100) : 20;
  const { toCliError, isOffline } = await import('../runtime.js');
  const { snapshotKeys } = await import('../config.js');
  await using(f, async () => {
    const rt = await f.runtime({ json: o.json });
    let me = rt.session.me;
    // a token from APPT_TOKEN has no saved identity: a customer token lists its own appointments
    if (!me && !o.user && !o.provider) me = await rt.client.me().catch(() => undefined);
    const user = o.user ?? (me?.role === 'user' ? me.userId : undefined);
    const byUser = Boolean(user) && !o.provider && !o.date && !o.search && !o.status;
    if (o.history && !byUser)
      throw new CliError('--history lists one customer: give --user (and no day/search filters)', EXIT.usage);
    const date = o.date ?? (o.search || o.status || o.provider || user ? undefined : 'today');
    const query = {
      providerId: o.provider,
      userId: user,
      date,
      // a day is the provider's when one is given, else the terminal's (only sent with a day)
      tz: o.provider || !date ? undefined : terminalZone(io.env),
      status: o.status ?? (o.upcoming ? 'active' : undefined),
      q: o.search,
      limit,
    };
    const key = snapshotKeys.list(
      byUser
        ? { user, filter: o.history ? 'history' : 'upcoming', limit, all: Boolean(o.all) }
        : { ...query, all: Boolean(o.all) },
    );
    let page: AppointmentPage;
    let offline = false;
    let asOf = new Date(f.clock.now()).toISOString();
    try {
      page = { items: [], nextCursor: null };
      let cursor: string | undefined;
      do {
        const p = byUser
          ? await rt.client.userAppointments(user as string, {
              filter: o.history ? 'history' : 'upcoming',
              limit,
              cursor,
            })
          : await rt.client.searchAppointments({ ...query, cursor });
        page.items.push(...p.items);
        page.nextCursor = p.nextCursor;
        cursor = p.nextCursor ?? undefined;
      } while (o.all && cursor);
      rt.store.saveSnapshot(key, rt.session.server, page);
    } catch (e) {
      if (!isOffline(e)) throw toCliError(e, io, Boolean(o.json));
      const snap = rt.store.snapshot<AppointmentPage>(key);
      if (!snap)
        throw new CliError(
          `offline — cannot reach ${rt.session.server} and no saved copy of this list`,
          EXIT.failed,
        );
      page = snap.data;
      offline = true;
      asOf = snap.at;
      io.err(`offline — as of ${asOf}\n`);
    }
    if (o.json) {
      io.out(`${JSON.stringify({ items: page.items, nextCursor: page.nextCursor, offline, asOf })}\n`);
      return;
    }
    if (!page.items.length) {
      io.err('no appointments\n');
      return;
    }
    const { appointmentTable } = await import('../format.js');
    io.out(appointmentTable(io, page.items));
    if (page.nextCursor && !o.all) io.err(`more: --all, or narrow the filter (${page.items.length} shown)\n`);
  });
}
