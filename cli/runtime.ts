import { ApiClient, ApiError, type Channel, OfflineError } from '../shared/client.js';
import { type ConfigStore, loadSession, openStore, type Session } from './config.js';
import { CliError, EXIT, exitForProblem } from './exit-codes.js';
import type { IO } from './io.js';
import { identityOf, openQueue, type QueueStore } from './queue/store.js';

/**
 * What an online command needs: the saved (or env) login, a client, the config store.
 * Loaded lazily by command actions, so `appt --version` never pulls in undici.
 */
export interface Runtime {
  io: IO;
  store: ConfigStore;
  session: Session;
  client: ApiClient;
  /** the offline queue of this login (its own file, shared with the TUI) */
  queue: QueueStore;
  json: boolean;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  json?: boolean | undefined;
  channel?: Channel;
  connections?: number;
  /** replay the offline queue before the command (default true) */
  replay?: boolean;
}

export function notLoggedIn(): CliError {
  return new CliError(
    'not logged in: run `appt login --server URL --token T` (or set APPT_SERVER and APPT_TOKEN)',
    EXIT.auth,
  );
}

export async function openRuntime(io: IO, o: RuntimeOptions = {}): Promise<Runtime> {
  const store = openStore(io.env);
  const session = loadSession(io.env, store);
  if (!session) throw notLoggedIn();
  let client: ApiClient;
  try {
    client = new ApiClient({
      baseUrl: session.server,
      token: session.token,
      channel: o.channel ?? 'cli',
      connections: o.connections ?? 2,
      // bulk runs send thousands of requests: they keep the optimised HTTP parser
      oneShot: o.channel !== 'bulk',
      onWait: (ms, why) =>
        io.err(
          why === 'rate_limited'
            ? `rate limited: waiting ${(ms / 1000).toFixed(1)} s as the server asked (Retry-After), then retrying…\n`
            : `the same request is still running on the server: waiting ${(ms / 1000).toFixed(1)} s, then asking again…\n`,
        ),
    });
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.usage);
  }
  const queue = openSessionQueue(io, store, session);
  const rt: Runtime = {
    io,
    store,
    session,
    client,
    queue,
    json: Boolean(o.json),
    close: () => client.close(),
  };
  if (o.replay !== false && queue.pending().length) {
    const { replayQueue } = await import('./queue-replay.js');
    await replayQueue(rt, { onlyFresh: true });
  }
  return rt;
}

/**
 * This login's queue. Queue problems (a file moved aside) are said once on stderr; intents
 * an older version kept inside config.json move into the queue file (never dropped).
 */
export function openSessionQueue(io: IO, store: ConfigStore, session: Session): QueueStore {
  const queue = openQueue(store.dir, identityOf(session));
  const legacy = (store.data() as { queue?: import('./queue/types.js').QueuedAction[] }).queue ?? [];
  const mine = legacy.filter((q) => !q.server || q.server === session.server);
  if (mine.length) {
    for (const q of mine) queue.add({ ...q, version: q.version ?? null });
    store.dropLegacyQueue(mine.map((q) => q.id));
  }
  for (const p of queue.problems) io.err(`appt: ${p}\n`);
  return queue;
}

/** An error as scripts see it with --json (stdout), and the one-line reason (stderr). */
export function errorJson(e: ApiError | CliError | OfflineError) {
  if (e instanceof ApiError) {
    // the problem's own members too (userId of email_taken, activeAppointments, …)
    const {
      type: _t,
      title: _ti,
      instance: _i,
      status: _s,
      code: _c,
      detail: _d,
      ...extra
    } = e.body && typeof e.body === 'object' ? (e.body as Record<string, unknown>) : {};
    return {
      error: {
        ...extra,
        code: e.code,
        status: e.status,
        detail: e.detail,
        ...(e.alternatives ? { alternatives: e.alternatives } : {}),
      },
    };
  }
  if (e instanceof OfflineError) return { error: { code: 'offline', status: 0, detail: e.message } };
  return { error: { code: 'cli', status: 0, detail: e.message, exitCode: e.exitCode } };
}

/**
 * Maps an API or connection failure to the CLI's exit code and reason. The JSON form of the
 * error rides on the CliError: cli/main.ts prints it on stdout when the command ran with
 * --json (the one place a failure is printed), so a script can read `code` and
 * `alternatives`. People get the alternatives on stderr.
 */
export function toCliError(e: unknown, io: IO, json: boolean, zone?: string): unknown {
  if (e instanceof ApiError) {
    if (!json && e.alternatives?.length) io.err(formatAlternatives(e.alternatives, zone));
    return new CliError(`${e.code}: ${e.detail}`, exitForProblem(e.code, e.status), e.body).withJson(
      errorJson(e),
    );
  }
  if (e instanceof OfflineError)
    return new CliError(`offline — ${e.message}`, EXIT.failed).withJson(errorJson(e));
  return e;
}

export function formatAlternatives(
  alts: { timeslotId: string; start: string; deltaMinutes: number; priceDeltaCents: number }[],
  zone?: string,
): string {
  const lines = alts.map((a) => {
    const when = zone ? localTime(a.start, zone) : a.start;
    const d = a.deltaMinutes === 0 ? '' : ` (${span(a.deltaMinutes)})`;
    const p = a.priceDeltaCents ? ` price ${a.priceDeltaCents > 0 ? '+' : ''}${a.priceDeltaCents / 100}` : '';
    return `  ${when}${d}${p}  --to ${a.timeslotId}`;
  });
  return `alternatives:\n${lines.join('\n')}\n`;
}

/** A difference in minutes as people read it: `+30 min`, `-1 h`, `+23 h 30 min`, `+2 d 1 h`. */
export function span(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  let m = Math.abs(Math.round(minutes));
  const d = Math.floor(m / 1440);
  m -= d * 1440;
  const h = Math.floor(m / 60);
  m -= h * 60;
  const parts = [d ? `${d} d` : '', h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean);
  return `${sign}${parts.join(' ') || '0 min'}`;
}

function localTime(isoStr: string, zone: string): string {
  try {
    return `${new Date(isoStr).toLocaleString('sv-SE', { timeZone: zone, dateStyle: 'short', timeStyle: 'short' })} ${zone}`;
  } catch {
    return isoStr;
  }
}

/** Is this the server being unreachable (offline mode) rather than a refusal? */
export function isOffline(e: unknown): e is OfflineError {
  return e instanceof OfflineError;
}
