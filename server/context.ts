import { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { REDACT_PATHS } from './ops/logger.js';
import { type Db, openDatabase } from './db/open.js';
import type { DomainEvent } from './events.js';
import { newId } from './ids.js';
import { adoptSharedSecrets } from './ops/secrets.js';
import { createRealtime, type Realtime } from './realtime/realtime.js';

/** Every rule about time takes `now` from here; tests move it. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests can move by hand. */
export class ManualClock implements Clock {
  constructor(private t: number = Date.parse('2030-01-07T12:00:00Z')) {}
  now(): number {
    return this.t;
  }
  set(t: number | string): void {
    this.t = typeof t === 'string' ? Date.parse(t) : t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export type { DomainEvent, DomainEvents, Topic } from './events.js';

/** Where an event on the bus came from: this process's own commit, or another process's. */
export type EventSource = 'local' | 'remote';

/**
 * Fan-out after commit. Local events are this process's own commits; remote ones were
 * committed by another process on the same PostgreSQL database and relayed here
 * (server/realtime/relay.ts). Realtime takes both; per-process figures (metrics) only local
 * ones, so a cluster's sum counts each change once. Subscribers must not throw into the
 * publisher.
 */
export class Bus {
  private readonly ee = new EventEmitter();
  /** tells this bus's own relayed events apart from other processes' (and other contexts' in tests) */
  readonly origin = newId();
  constructor() {
    this.ee.setMaxListeners(100);
  }
  publish(events: DomainEvent[], source: EventSource = 'local'): void {
    for (const e of events) {
      for (const l of this.ee.listeners(source)) {
        try {
          (l as (e: DomainEvent) => void)(e);
        } catch {
          // a broken subscriber must not fail the request that already committed
        }
      }
    }
  }
  /** `remote: true` also delivers events other processes committed (realtime); default local only. */
  subscribe(fn: (e: DomainEvent) => void, opts: { remote?: boolean } = {}): () => void {
    this.ee.on('local', fn);
    if (opts.remote) this.ee.on('remote', fn);
    return () => {
      this.ee.off('local', fn);
      this.ee.off('remote', fn);
    };
  }
}

export interface AppContext {
  db: Db;
  clock: Clock;
  config: Config;
  logger: Logger;
  bus: Bus;
  /** the realtime hub, its feed and (PostgreSQL) the cross-process relay */
  realtime: Realtime;
}

/** The one composition root: the server, the tests and the job workers build their context here. */
export async function createContext(
  config: Config,
  over: Partial<Omit<AppContext, 'config'>> = {},
): Promise<AppContext> {
  const logger =
    over.logger ??
    pino({
      level: config.logLevel,
      redact: {
        paths: REDACT_PATHS,
        censor: '[redacted]',
      },
    });
  const base = {
    config,
    clock: over.clock ?? systemClock,
    db: over.db ?? (await openDatabase(config)),
    logger,
    bus: over.bus ?? new Bus(),
  };
  // several processes on one PostgreSQL database sign and check with the same secrets
  await adoptSharedSecrets(base.db, config);
  return { ...base, realtime: over.realtime ?? (await createRealtime(base)) };
}
