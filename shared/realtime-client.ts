import { type Static, Type } from '@sinclair/typebox';
import type * as PusherModule from 'pusher-js';
import type { Options as PusherOptions } from 'pusher-js';

/** A pusher-js instance (the type of the package's default export). */
export type PusherInstance = PusherModule.default;

/**
 * The realtime side of the client: asks the server how to connect (`GET /realtime/config`),
 * then runs the unmodified pusher-js client (its Node build) against the server's hub or
 * whichever Pusher-protocol service the server publishes to. pusher-js reconnects by
 * itself and re-authorizes private channels on every reconnect; callers refetch on
 * `connected` after a drop, since messages sent while away are not replayed.
 */

export const RealtimeConfig = Type.Object(
  {
    key: Type.String(),
    wsHost: Type.String(),
    wsPort: Type.Integer(),
    forceTLS: Type.Boolean(),
    authEndpoint: Type.String(),
  },
  { $id: 'RealtimeConfig', additionalProperties: false },
);
export type RealtimeConfig = Static<typeof RealtimeConfig>;

export const userBookingsChannel = (userId: string) => `private-user.${userId}.bookings`;
export const providerAvailabilityChannel = (providerId: string) => `provider.${providerId}.availability`;

export interface RealtimeEvent {
  channel: string;
  event: string;
  data: unknown;
}

/** pusher-js connection states: initialized, connecting, connected, unavailable, failed, disconnected. */
export type ConnectionState = string;

export interface RealtimeOptions {
  /** server base URL, e.g. http://127.0.0.1:7400 */
  server: string;
  token: string;
  userIds?: string[];
  providerIds?: string[];
  onEvent(e: RealtimeEvent): void;
  onState?(current: ConnectionState, previous: ConnectionState): void;
  /** a channel could not be subscribed (403 from /realtime/auth, a refused signature …) */
  onSubscriptionError?(channel: string, error: { status?: number; type?: string; error?: string }): void;
  onError?(error: unknown): void;
  /** a channel's subscription succeeded (again after each reconnect) */
  onSubscribed?(channel: string): void;
  /** used for GET /realtime/config (tests may pass their own) */
  fetch?: typeof fetch;
  /** first delay before a stalled connection attempt is restarted (ms, default 1000, doubling to 8 s) */
  retryMs?: number;
  /** pusher-js timeouts (ms); its defaults otherwise */
  activityTimeout?: number;
  pongTimeout?: number;
}

export interface RealtimeClient {
  config: RealtimeConfig;
  socketId(): string | undefined;
  state(): ConnectionState;
  channels(): string[];
  /** follow or stop following a channel while connected (the TUI moves between providers) */
  watchProvider(providerId: string): void;
  unwatchProvider(providerId: string): void;
  watchUser(userId: string): void;
  unwatchUser(userId: string): void;
  close(): void;
  /** the underlying pusher-js instance (for callers that need more) */
  pusher: PusherInstance;
}

export class RealtimeConfigError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'RealtimeConfigError';
  }
}

/** Reads GET /realtime/config with the bearer token. Throws RealtimeConfigError for an HTTP refusal. */
export async function fetchRealtimeConfig(
  server: string,
  token: string,
  doFetch: typeof fetch = fetch,
): Promise<RealtimeConfig> {
  const r = await doFetch(`${server.replace(/\/+$/, '')}/realtime/config`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  if (!r.ok) {
    let detail = text.slice(0, 200);
    try {
      detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
    } catch {
      // not problem+json; keep the text
    }
    throw new RealtimeConfigError(`GET /realtime/config: ${r.status} ${detail}`, r.status);
  }
  return JSON.parse(text) as RealtimeConfig;
}

/** Connects pusher-js and subscribes to the given channels; resolves once the config is known. */
export async function connectRealtime(o: RealtimeOptions): Promise<RealtimeClient> {
  const config = await fetchRealtimeConfig(o.server, o.token, o.fetch);
  // Under NodeNext the default export's type is not constructable; at runtime it is the class.
  const mod = (await import('pusher-js')) as unknown as { default: unknown };
  const Pusher = mod.default as new (key: string, options: PusherOptions) => PusherInstance;
  const options: PusherOptions = {
    cluster: 'appt',
    wsHost: config.wsHost,
    wsPort: config.wsPort,
    wssPort: config.wsPort,
    forceTLS: config.forceTLS,
    enabledTransports: config.forceTLS ? ['wss'] : ['ws'],
    disableStats: true,
    channelAuthorization: {
      transport: 'ajax',
      endpoint: config.authEndpoint,
      headers: { authorization: `Bearer ${o.token}` },
    },
    ...(o.activityTimeout !== undefined ? { activityTimeout: o.activityTimeout } : {}),
    ...(o.pongTimeout !== undefined ? { pongTimeout: o.pongTimeout } : {}),
  };
  const pusher = new Pusher(config.key, options);
  // pusher-js (Node build) lets an attempt against a closed port hang until its 15 s
  // transport timeout; while not connected we restart the attempt ourselves, backing off
  // from `retryMs` to 8 s. disconnect() keeps the channels; they are re-subscribed on connect.
  const baseRetry = o.retryMs ?? 1000;
  let retryDelay = baseRetry;
  let retryTimer: NodeJS.Timeout | null = null;
  let restarting = false;
  let closed = false;
  const scheduleRetry = () => {
    if (retryTimer || closed) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      const st = pusher.connection.state;
      if (closed || st === 'connected' || st === 'failed') return;
      restarting = true;
      pusher.disconnect();
      pusher.connect();
      restarting = false;
      retryDelay = Math.min(retryDelay * 2, 8000);
      scheduleRetry();
    }, retryDelay);
    retryTimer.unref?.();
  };
  let lastReported = 'initialized';
  pusher.connection.bind('state_change', (s: { previous: string; current: string }) => {
    if (s.current === 'connected') {
      retryDelay = baseRetry;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
    } else if (s.current === 'connecting' || s.current === 'unavailable') scheduleRetry();
    // a restart's own disconnected → connecting is not news to the caller
    if (restarting || s.current === lastReported) return;
    o.onState?.(s.current, lastReported);
    lastReported = s.current;
  });
  pusher.connection.bind('error', (err: unknown) => o.onError?.(err));
  const names = new Set<string>();
  const add = (name: string) => {
    if (names.has(name)) return;
    names.add(name);
    const ch = pusher.subscribe(name);
    ch.bind('pusher:subscription_error', (err: { status?: number; type?: string; error?: string }) =>
      o.onSubscriptionError?.(name, err),
    );
    ch.bind('pusher:subscription_succeeded', () => o.onSubscribed?.(name));
    ch.bind_global((event: string, data: unknown) => {
      if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) return;
      o.onEvent({ channel: name, event, data });
    });
  };
  const remove = (name: string) => {
    if (!names.delete(name)) return;
    pusher.channel(name)?.unbind_all();
    pusher.unsubscribe(name);
  };
  for (const id of o.userIds ?? []) add(userBookingsChannel(id));
  for (const id of o.providerIds ?? []) add(providerAvailabilityChannel(id));
  return {
    config,
    pusher,
    socketId: () => pusher.connection.socket_id,
    state: () => pusher.connection.state,
    channels: () => [...names],
    watchProvider: (id) => add(providerAvailabilityChannel(id)),
    unwatchProvider: (id) => remove(providerAvailabilityChannel(id)),
    watchUser: (id) => add(userBookingsChannel(id)),
    unwatchUser: (id) => remove(userBookingsChannel(id)),
    close: () => {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      pusher.disconnect();
    },
  };
}
