import {
  connectRealtime,
  providerAvailabilityChannel,
  type RealtimeClient,
  RealtimeConfigError,
  type RealtimeEvent,
  userBookingsChannel,
} from '../../shared/realtime-client.js';
import { formatLocal, formatMoney } from '../../shared/time.js';
import { CliError, EXIT } from '../exit-codes.js';
import type { Factory } from '../factory.js';
import type { WatchFlags } from './watch.js';

export interface WatchDeps {
  /** ends the watch like Ctrl-C does (tests) */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/**
 * `appt watch`: one line per realtime event on stdout, connection status on stderr. pusher-js
 * does the reconnecting (and re-authorizes private channels each time); this only reports it.
 * Ends after --limit events, on SIGINT/SIGTERM, or with exit 4 when every channel is refused.
 */
export async function runWatch(f: Factory, o: WatchFlags, deps: WatchDeps = {}): Promise<void> {
  const { io } = f;
  const limit = o.limit === undefined ? Number.POSITIVE_INFINITY : Number(o.limit);
  if (!(Number.isInteger(limit) && limit > 0) && limit !== Number.POSITIVE_INFINITY)
    throw new CliError(`--limit must be a positive integer, got ${JSON.stringify(o.limit)}`, EXIT.usage);
  const session = await f.session();
  const doFetch = deps.fetch ?? fetch;
  const users = [...(o.user ?? [])];
  const providers = [...(o.provider ?? [])];
  if (users.length === 0 && providers.length === 0) {
    const me = await whoAmI(session.server, session.token, doFetch);
    if (!me.userId)
      throw new CliError(
        `a ${me.role} token watches nothing by default: give --user U or --provider P`,
        EXIT.usage,
      );
    users.push(me.userId);
  }
  const channels = [...users.map(userBookingsChannel), ...providers.map(providerAvailabilityChannel)];

  let client: RealtimeClient | undefined;
  let seen = 0;
  const subscribed = new Set<string>();
  const refused = new Set<string>();
  let wasConnected = false;

  await new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      deps.signal?.removeEventListener('abort', onSignal);
      client?.close();
      if (err) reject(err);
      else resolve();
    };
    const onSignal = () => finish();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (deps.signal?.aborted) return finish();
    deps.signal?.addEventListener('abort', onSignal, { once: true });

    connectRealtime({
      server: session.server,
      token: session.token,
      userIds: users,
      providerIds: providers,
      fetch: doFetch,
      onEvent(e) {
        if (done) return;
        io.out(o.json ? `${JSON.stringify({ at: new Date().toISOString(), ...e })}\n` : `${humanLine(e)}\n`);
        if (++seen >= limit) finish();
      },
      onSubscribed(channel) {
        if (subscribed.has(channel)) return;
        subscribed.add(channel);
        io.err(`watching ${channel}\n`);
      },
      onSubscriptionError(channel, err) {
        if (refused.has(channel)) return;
        refused.add(channel);
        io.err(`appt: not allowed to watch ${channel} (${err.status ?? err.type ?? 'refused'})\n`);
        if (refused.size === channels.length)
          finish(
            new CliError(
              'every channel was refused',
              err.status === 401 || err.status === 403 ? EXIT.auth : EXIT.failed,
            ),
          );
      },
      onState(current, previous) {
        if (current === 'connected') {
          io.err(
            wasConnected
              ? 'realtime: reconnected (events sent meanwhile were missed; refetch)\n'
              : 'realtime: connected\n',
          );
          wasConnected = true;
        } else if (current === 'unavailable' || (current === 'connecting' && previous === 'connected'))
          io.err(`realtime: ${current}, retrying…\n`);
        else if (current === 'failed')
          finish(
            new CliError(
              'realtime: this server’s hub cannot be used from here (connection failed)',
              EXIT.failed,
            ),
          );
      },
      onError(err) {
        const data = (err as { data?: { code?: number; message?: string } })?.data;
        if (data?.code && data.code >= 4000 && data.code < 4100)
          finish(new CliError(`realtime: refused (${data.code} ${data.message ?? ''})`.trim(), EXIT.failed));
      },
    }).then(
      (c) => {
        client = c;
        if (done) c.close();
      },
      (e) => finish(connectError(e, session.server)),
    );
  });
}

async function whoAmI(server: string, token: string, doFetch: typeof fetch) {
  let r: Response;
  try {
    r = await doFetch(`${server}/me`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    throw connectError(e, server);
  }
  if (r.status === 401 || r.status === 403)
    throw new CliError(`the server refused the token (${r.status})`, EXIT.auth);
  if (!r.ok) throw new CliError(`GET /me: ${r.status}`, EXIT.failed);
  return (await r.json()) as { role: string; userId?: string | null };
}

function connectError(e: unknown, server: string): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof RealtimeConfigError)
    return new CliError(e.message, e.status === 401 || e.status === 403 ? EXIT.auth : EXIT.failed);
  return new CliError(`cannot reach ${server}: ${(e as Error)?.message ?? String(e)}`, EXIT.failed);
}

/** One readable line per event: time, event, then what changed. */
export function humanLine(e: RealtimeEvent, now = new Date()): string {
  const t = now.toTimeString().slice(0, 8);
  const d = (e.data ?? {}) as Record<string, any>;
  const a = d.appointment as
    | {
        id: string;
        start: string;
        timezone: string;
        serviceTitle?: string;
        providerName?: string;
        status: string;
        currency?: string;
      }
    | undefined;
  const when = (iso: string) => (a?.timezone ? formatLocal(iso, a.timezone) : iso);
  const v = d.version !== undefined ? `  v${d.version}` : '';
  switch (e.event) {
    case 'booking.confirmed':
      return `${t}  booking.confirmed    ${a?.id}  ${a ? when(a.start) : ''}  ${a?.serviceTitle ?? ''} with ${a?.providerName ?? ''}${v}`;
    case 'booking.cancelled':
      return `${t}  booking.cancelled    ${a?.id}  fee ${formatMoney(d.feeCents ?? 0, a?.currency ?? 'USD')}, refund ${formatMoney(d.refundCents ?? 0, a?.currency ?? 'USD')}${v}`;
    case 'booking.rescheduled':
      return `${t}  booking.rescheduled  ${a?.id}  ${when(d.previous?.start)} → ${when(d.next?.start)}${v}`;
    case 'booking.updated':
      return `${t}  booking.updated      ${d.appointmentId}  ${Object.entries(d.updates ?? {})
        .map(([k, x]) => `${k}=${x}`)
        .join(' ')}${v}`;
    case 'timeslot.updated': {
      const changes = (d.changes ?? [{ status: d.status }]) as { status: string }[];
      const tally = new Map<string, number>();
      for (const c of changes) tally.set(c.status, (tally.get(c.status) ?? 0) + 1);
      const summary = [...tally].map(([s, n]) => `${n} ${s}`).join(', ');
      return `${t}  timeslot.updated     provider ${d.providerId}  ${d.date}  ${changes.length} slot${changes.length === 1 ? '' : 's'}: ${summary}`;
    }
    default:
      return `${t}  ${e.event}  ${e.channel}  ${JSON.stringify(e.data)}`;
  }
}
