import type { TimeslotStatus } from '../../shared/schemas.js';
import { addDays, DAY, dayOf, HOUR } from '../../shared/time.js';
import { computeDay } from '../availability/availability.js';
import { getProvider, type ServiceRow } from '../catalog/catalog.js';
import type { AppContext } from '../context.js';
import { type DomainEvent, isBookingEvent } from '../events.js';
import { stmt } from '../db/open.js';
import { Coalescer, type Timers } from './coalesce.js';
import { providerChannel, userChannel } from './protocol.js';

/**
 * Turns domain events (published on the bus after commit) into realtime messages:
 * booking events go to the customer's private channel as they are; availability changes
 * become `timeslot.updated` on the provider's channel, recomputed from the database and
 * coalesced per provider/date.
 */

export interface Publisher {
  publish(channel: string, event: string, data: unknown): void;
  /** whether anyone here would receive a message on `channel` (the embedded hub knows; an
   * external Pusher does not, so it has no such method and every message is sent) */
  listening?(channel: string): boolean;
}

/** One slot's new state in a `timeslot.updated` message. */
export interface SlotChange {
  timeslotId: string;
  status: TimeslotStatus;
  serviceId: string;
}

/** The `timeslot.updated` payload: the seed's fields for the last change, plus every slot changed. */
export interface TimeslotUpdated {
  providerId: string;
  serviceId: string;
  date: string;
  timeslotId: string;
  status: TimeslotStatus;
  changes: SlotChange[];
}

interface Change {
  startAt: number;
  endAt: number;
  timeslotId?: string;
}

export interface FeedOptions {
  /** minimum gap between two messages for one provider/date (DESIGN §4: ~250 ms) */
  windowMs?: number;
  /** how far past now a single change is expanded into per-day messages */
  maxDays?: number;
  timers?: Timers;
}

export interface Feed {
  stop(): void;
  /** provider/date keys with a message still waiting */
  pending(): number;
}

/** Slots whose block can reach into the next or previous local day (buffers, late slots). */
const EDGE = 3 * HOUR;

/** What the feed reads: the database, the clock, the bus it listens on, a logger. */
export type FeedContext = Pick<AppContext, 'db' | 'clock' | 'bus' | 'logger'>;

export async function startFeed(ctx: FeedContext, pub: Publisher, opts: FeedOptions = {}): Promise<Feed> {
  const maxDays = opts.maxDays ?? 31;
  const coalescer = new Coalescer<Change>(
    opts.windowMs ?? 250,
    (key, items) => {
      const [providerId, date] = key.split('|');
      // nobody on the provider's channel: nothing to recompute (a client that subscribes
      // later reads availability after subscribing, as Pusher clients do)
      if (pub.listening && !pub.listening(providerChannel(providerId))) return;
      timeslotMessage(ctx, providerId, date, items).then(
        (msg) => {
          if (msg) pub.publish(providerChannel(providerId), 'timeslot.updated', msg);
        },
        (err) =>
          ctx.logger.warn({ err, key }, 'realtime availability update failed; clients refetch on reconnect'),
      );
    },
    opts.timers,
  );

  const onEvent = async (e: DomainEvent) => {
    if (isBookingEvent(e)) {
      const p = e.payload;
      const userId = p.appointment?.userId ?? ('userId' in p ? p.userId : undefined);
      if (userId) pub.publish(userChannel(userId), e.topic, p);
      return;
    }
    if (e.topic !== 'availability.changed') return;
    const p = e.payload;
    const provider = await getProvider(ctx.db, p.providerId);
    if (!provider) return;
    const change: Change = { startAt: p.startAt, endAt: p.endAt };
    if (typeof p.timeslotId === 'string') change.timeslotId = p.timeslotId;
    // Past time is never offered, and a change far ahead (new working hours for a year) is
    // announced for its first `maxDays` only: clients refetch availability when it goes stale.
    const start = Math.max(p.startAt, ctx.clock.now() - DAY);
    const end = Math.min(p.endAt, start + maxDays * DAY);
    if (end <= start) return;
    const from = start - EDGE;
    const to = end + EDGE;
    const last = dayOf(to - 1, provider.timezone);
    for (let d = dayOf(from, provider.timezone), i = 0; d <= last && i <= maxDays + 2; d = addDays(d, 1), i++)
      coalescer.add(`${provider.id}|${d}`, change);
  };

  // other processes' commits too (PostgreSQL relay): a client here sees changes made anywhere
  const unsubscribe = ctx.bus.subscribe(
    (e) => {
      onEvent(e).catch((err) =>
        ctx.logger.warn({ err, topic: e.topic }, 'realtime feed failed for an event'),
      );
    },
    { remote: true },
  );
  return {
    stop() {
      unsubscribe();
      coalescer.stop();
    },
    pending: () => coalescer.pendingKeys(),
  };
}

/**
 * The message for one provider/date after `changes`: every slot (of every service of the
 * provider) whose blocked time overlaps a changed interval, with its status as the
 * availability endpoint would serve it right now. Null when no offered slot is affected.
 */
export async function timeslotMessage(
  ctx: Pick<AppContext, 'db' | 'clock'>,
  providerId: string,
  date: string,
  changes: Change[],
): Promise<TimeslotUpdated | null> {
  const provider = await getProvider(ctx.db, providerId);
  if (!provider) return null;
  const services = await stmt<ServiceRow>(
    ctx.db,
    // removed services are offered nowhere (server/catalog/edit.ts)
    'SELECT * FROM services WHERE provider_id = ? AND retired_at IS NULL ORDER BY id',
  ).all(providerId);
  const now = ctx.clock.now();
  const out = new Map<string, SlotChange & { blockStart: number; blockEnd: number }>();
  for (const service of services) {
    for (const s of (await computeDay(ctx.db, provider, service, date, now)).slots) {
      if (changes.some((c) => s.blockStart < c.endAt && s.blockEnd > c.startAt))
        out.set(s.id, {
          timeslotId: s.id,
          status: s.status as TimeslotStatus,
          serviceId: service.id,
          blockStart: s.blockStart,
          blockEnd: s.blockEnd,
        });
    }
  }
  if (out.size === 0) return null;
  // the seed's fields describe the last change: its own slot when it named one, else the
  // slot whose blocked time it exactly is (the hold that expired), else one it overlaps
  const lastChange = changes[changes.length - 1];
  const all = [...out.values()];
  const head =
    (lastChange.timeslotId ? out.get(lastChange.timeslotId) : undefined) ??
    all.find((s) => s.blockStart === lastChange.startAt && s.blockEnd === lastChange.endAt) ??
    all.filter((s) => s.blockStart < lastChange.endAt && s.blockEnd > lastChange.startAt).pop() ??
    all[all.length - 1];
  return {
    providerId,
    serviceId: head.serviceId,
    date,
    timeslotId: head.timeslotId,
    status: head.status,
    changes: all.map(({ timeslotId, status, serviceId }) => ({ timeslotId, status, serviceId })),
  };
}
