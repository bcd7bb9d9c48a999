import { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { REDACT_PATHS } from './ops/logger.js';
import { type Db, openDatabase } from './db/open.js';

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

/**
 * A domain event. Written to the outbox inside the change's transaction (for jobs) and
 * published on the in-process bus after commit (for realtime, metrics).
 */
export interface DomainEvent {
  id: string;
  topic: string;
  payload: Record<string, unknown>;
  at: number;
}

/** In-process fan-out after commit. Subscribers must not throw into the publisher. */
export class Bus {
  private readonly ee = new EventEmitter();
  constructor() {
    this.ee.setMaxListeners(100);
  }
  publish(events: DomainEvent[]): void {
    for (const e of events) {
      for (const l of this.ee.listeners('event')) {
        try {
          (l as (e: DomainEvent) => void)(e);
        } catch {
          // a broken subscriber must not fail the request that already committed
        }
      }
    }
  }
  subscribe(fn: (e: DomainEvent) => void): () => void {
    this.ee.on('event', fn);
    return () => this.ee.off('event', fn);
  }
}

export interface AppContext {
  db: Db;
  clock: Clock;
  config: Config;
  logger: Logger;
  bus: Bus;
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
  return {
    config,
    clock: over.clock ?? systemClock,
    db: over.db ?? (await openDatabase(config)),
    logger,
    bus: over.bus ?? new Bus(),
  };
}
