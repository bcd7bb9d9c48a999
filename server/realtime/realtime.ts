import type { Logger } from 'pino';
import type { Bus, Clock } from '../context.js';
import type { Db } from '../db/open.js';
import type { Config } from '../config.js';
import type { DomainEvent } from '../events.js';
import { EVENTS_CHANNEL } from '../outbox/write.js';
import { type Feed, type Publisher, startFeed } from './feed.js';
import { type HttpPublisher, httpPublisher } from './http-publisher.js';
import { Hub, type HubOptions } from './hub.js';
import { parsePusherUrl, type PusherTarget } from './protocol.js';

/** What a server's realtime side is made of (the HTTP plugin, metrics and tests use it). */
export interface Realtime {
  hub: Hub;
  feed: Feed;
  /** where domain events go: the embedded hub, or the external service of APPT_PUSHER_URL */
  publisher: Publisher;
  external: PusherTarget | null;
  /** true when events committed by other processes reach this hub (PostgreSQL) */
  relayed: boolean;
  /** stops the feed and the relay and closes client connections (1001): the app is closing */
  stop(): Promise<void>;
  /** after the app closed: the external publisher's connections */
  close(): Promise<void>;
}

export interface RealtimeOptions {
  hub?: Partial<HubOptions>;
  /** coalescing window for timeslot.updated (ms) */
  windowMs?: number;
}

/**
 * Builds the realtime side from the composition root: the embedded Pusher-protocol hub
 * (or a publisher to the external one), the feed that turns committed domain events into
 * channel messages, and — on PostgreSQL — the relay that hears other processes' commits
 * (NOTIFY appt_events, sent by `write` in the committing transaction) and puts them on this
 * process's bus as remote events, so a client connected here sees a change made anywhere.
 */
export async function createRealtime(
  ctx: { config: Config; db: Db; clock: Clock; bus: Bus; logger: Logger },
  opts: RealtimeOptions = {},
): Promise<Realtime> {
  const { config } = ctx;
  const external = config.pusherUrl ? parsePusherUrl(config.pusherUrl) : null;
  const hub = new Hub({ key: config.pusherKey, secret: config.pusherSecret, log: ctx.logger, ...opts.hub });
  const ext: HttpPublisher | null = external ? httpPublisher({ target: external, log: ctx.logger }) : null;
  const publisher: Publisher = ext ?? hub;
  const feed = await startFeed(
    ctx,
    publisher,
    opts.windowMs !== undefined ? { windowMs: opts.windowMs } : {},
  );
  const relay = ctx.db.listen
    ? await ctx.db.listen(EVENTS_CHANNEL, (payload) => {
        try {
          const m = JSON.parse(payload) as { o: string; e: DomainEvent[] };
          if (m.o !== ctx.bus.origin) ctx.bus.publish(m.e, 'remote');
        } catch (err) {
          ctx.logger.warn({ err }, 'a relayed event could not be read; clients refetch when stale');
        }
      })
    : undefined;
  let stopped = false;
  return {
    hub,
    feed,
    publisher,
    external,
    relayed: Boolean(relay),
    async stop() {
      if (stopped) return;
      stopped = true;
      feed.stop();
      await relay?.stop();
      await hub.close();
    },
    async close() {
      await ext?.close();
    },
  };
}
