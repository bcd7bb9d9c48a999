import type { Db } from '../db/port.js';
import { hitWindow } from '../db/pg-counters.js';
import type { AppContext } from '../context.js';

type IncrCallback = (err: Error | null, res?: { current: number; ttl: number }) => void;

/**
 * A `@fastify/rate-limit` store backed by PostgreSQL (issue 11 §6): every process on the
 * database counts in one row per token (an UPSERT per hit), so a token's budget holds for
 * the whole cluster, not per process. Windows start at a key's first hit, as in the
 * plugin's in-process store. SQLite keeps that in-process store (one server process).
 */
export function pgRateLimitStore(db: Db) {
  return class PgRateLimitStore {
    incr(key: string, cb: IncrCallback, timeWindow: number): void {
      hitWindow(db, `mutations:${key}`, timeWindow).then(
        (r) => cb(null, { current: r.count, ttl: r.ttlMs }),
        (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))),
      );
    }
    child(): PgRateLimitStore {
      return this;
    }
  };
}

/**
 * The failed-authentication brake (DESIGN §3: 100 a minute per client address). `failed`
 * counts one failure of `ip` and answers how many seconds that address must wait, or null
 * while it is under the limit: the first `max` failures of a window are 401s, the rest 429s
 * until the window ends.
 */
export interface AuthBrake {
  failed(ip: string): Promise<number | null>;
}

const WINDOW_MS = 60_000;

/** In this process: one server per SQLite database. */
class LocalBrake implements AuthBrake {
  private readonly hits = new Map<string, { n: number; reset: number }>();
  constructor(
    private readonly max: number,
    private readonly now: () => number,
  ) {}
  async failed(ip: string): Promise<number | null> {
    const t = this.now();
    if (this.hits.size > 10_000) for (const [k, v] of this.hits) if (v.reset <= t) this.hits.delete(k);
    const h = this.hits.get(ip);
    if (h && h.reset > t && h.n >= this.max) return Math.ceil((h.reset - t) / 1000);
    if (!h || h.reset <= t) this.hits.set(ip, { n: 1, reset: t + WINDOW_MS });
    else h.n++;
    return null;
  }
}

/** Across processes: one counter row per address in PostgreSQL, counted atomically. */
class PgBrake implements AuthBrake {
  constructor(
    private readonly db: Db,
    private readonly max: number,
  ) {}
  async failed(ip: string): Promise<number | null> {
    const r = await hitWindow(this.db, `auth-failures:${ip}`, WINDOW_MS);
    return r.count > this.max ? Math.max(1, Math.ceil(r.ttlMs / 1000)) : null;
  }
}

export function authBrake(ctx: AppContext): AuthBrake {
  const max = ctx.config.rateLimitAuthFailures;
  if (max === 0) return { failed: async () => null };
  return ctx.db.dialect === 'pg' ? new PgBrake(ctx.db, max) : new LocalBrake(max, () => Date.now());
}
