import { randomUUID } from 'node:crypto';
import type { Client as PgClient, Notification, Pool, PoolClient } from 'pg';
import type { Db, Params, RunResult, Tx } from './port.js';

/**
 * PostgreSQL behind the async port (node-postgres). SQL arrives in the SQLite-flavoured
 * form the domain writes (`?` or `@name` placeholders, `LIKE`); `toPg` numbers the
 * placeholders and makes `LIKE` case-insensitive as it is in SQLite.
 *
 * Transactions run on one pooled connection at READ COMMITTED; the guarantees come from
 * locks taken first (`tx.lock`: `pg_advisory_xact_lock` per provider, per audit subject)
 * and from constraints as the backstop. A deadlock (40P01) or serialization failure
 * (40001) re-runs the whole transaction, a few times, so a client never sees one.
 */

const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;

/** `?`/`@name` → `$n`, outside string literals; `LIKE` → `ILIKE`. Cached per statement. */
const translated = new Map<string, { text: string; names: string[] | null }>();
export function toPg(sql: string): { text: string; names: string[] | null } {
  const hit = translated.get(sql);
  if (hit) return hit;
  let out = '';
  let n = 0;
  const names: string[] = [];
  let named = false;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'") {
      const j = sql.indexOf("'", i + 1);
      const end = j < 0 ? sql.length : j;
      out += sql.slice(i, end + 1);
      i = end;
    } else if (c === '?') {
      out += `$${++n}`;
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))!;
      named = true;
      let k = names.indexOf(m[0]);
      if (k < 0) k = names.push(m[0]) - 1;
      out += `$${k + 1}`;
      i += m[0].length;
    } else out += c;
  }
  // SQLite binds an object of names and positional values together; here they would share $1
  if (named && n > 0) throw new Error(`one statement mixes @name and ? placeholders: ${sql}`);
  out = out.replace(/\bLIKE\b/g, 'ILIKE');
  const r = { text: out, names: named ? names : null };
  if (translated.size < 5000) translated.set(sql, r);
  return r;
}

function values(t: { names: string[] | null }, params?: Params): unknown[] {
  if (!params) return [];
  if (t.names) {
    const o = (params[0] ?? {}) as Record<string, unknown>;
    return t.names.map((k) => o[k] ?? null);
  }
  return params as unknown[];
}

/** A stable 64-bit key for an advisory lock name (PostgreSQL's own text hash). */
const LOCK_SQL = 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))';

type Client = Pick<PoolClient, 'query'>;

/**
 * NOTIFY payloads must stay under 8,000 bytes. A longer one is stored in
 * appt_notify_payloads (in the same transaction) and the notification carries a reference
 * that listeners resolve; rows older than ten minutes are cleared as new ones arrive.
 */
const NOTIFY_INLINE_BYTES = 7_900;
const REF = '@ref:';

async function notifyVia(c: Client, channel: string, payload: string): Promise<void> {
  if (Buffer.byteLength(payload) <= NOTIFY_INLINE_BYTES && !payload.startsWith(REF)) {
    await c.query('SELECT pg_notify($1, $2)', [channel, payload]);
    return;
  }
  const id = randomUUID();
  await c.query("DELETE FROM appt_notify_payloads WHERE created_at < now() - interval '10 minutes'");
  await c.query('INSERT INTO appt_notify_payloads (id, payload) VALUES ($1, $2)', [id, payload]);
  await c.query('SELECT pg_notify($1, $2)', [channel, REF + id]);
}

async function q<R>(c: Client, sql: string, params?: Params) {
  const t = toPg(sql);
  return c.query<R & object>(t.text, values(t, params));
}

class PgTx implements Tx {
  readonly dialect = 'pg' as const;
  private depth = 0;
  constructor(
    private readonly c: PoolClient,
    readonly path: string,
  ) {}
  async all<R = any>(sql: string, params?: Params): Promise<R[]> {
    return (await q<R>(this.c, sql, params)).rows as R[];
  }
  async get<R = any>(sql: string, params?: Params): Promise<R | undefined> {
    return (await q<R>(this.c, sql, params)).rows[0] as R | undefined;
  }
  async run(sql: string, params?: Params): Promise<RunResult> {
    return { changes: (await q(this.c, sql, params)).rowCount ?? 0 };
  }
  async lock(name: string): Promise<void> {
    await this.c.query(LOCK_SQL, [name]);
  }
  /** Nested: a savepoint, so a refused inner step rolls back alone. */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const sp = `sp${++this.depth}`;
    await this.c.query(`SAVEPOINT ${sp}`);
    try {
      const r = await fn(this);
      await this.c.query(`RELEASE SAVEPOINT ${sp}`);
      return r;
    } catch (e) {
      await this.c.query(`ROLLBACK TO SAVEPOINT ${sp}`);
      throw e;
    } finally {
      this.depth--;
    }
  }
  async exclusive<T>(_name: string, fn: () => Promise<T>): Promise<T | undefined> {
    return fn();
  }
  /** Delivered to listeners when (and only if) this transaction commits. */
  async notify(channel: string, payload: string): Promise<void> {
    await notifyVia(this.c, channel, payload);
  }
  async close(): Promise<void> {}
}

export class PgDb implements Db {
  readonly dialect = 'pg' as const;
  constructor(
    readonly pool: Pool,
    readonly path: string,
  ) {}

  async all<R = any>(sql: string, params?: Params): Promise<R[]> {
    return (await q<R>(this.pool, sql, params)).rows as R[];
  }
  async get<R = any>(sql: string, params?: Params): Promise<R | undefined> {
    return (await q<R>(this.pool, sql, params)).rows[0] as R | undefined;
  }
  async run(sql: string, params?: Params): Promise<RunResult> {
    return { changes: (await q(this.pool, sql, params)).rowCount ?? 0 };
  }
  async lock(_name: string): Promise<void> {
    throw new Error('a lock needs a transaction (db.transaction(async (tx) => tx.lock(…)))');
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect();
      let broken = false;
      try {
        await c.query('BEGIN');
        const r = await fn(new PgTx(c, this.path));
        await c.query('COMMIT');
        return r;
      } catch (e) {
        try {
          await c.query('ROLLBACK');
        } catch {
          broken = true; // the connection is gone: do not give it back to the pool
        }
        const code = (e as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
          continue;
        }
        throw e;
      } finally {
        c.release(broken);
      }
    }
  }

  /** Runs `fn` under a session advisory lock, or not at all when another process holds it. */
  async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
    const c = await this.pool.connect();
    try {
      const got = await c.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok',
        [name],
      );
      if (!got.rows[0]?.ok) return undefined;
      try {
        return await fn();
      } finally {
        await c.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [name]);
      }
    } finally {
      c.release();
    }
  }

  async notify(channel: string, payload: string): Promise<void> {
    await notifyVia(this.pool, channel, payload);
  }

  /**
   * LISTEN on a connection of its own (a pooled one would be handed to others). It
   * reconnects after an error with a growing pause; notifications sent while it was away
   * are lost (realtime clients refetch when they reconnect or their data goes stale).
   * Payloads are delivered in the order they were sent, references resolved first.
   */
  async listen(channel: string, onPayload: (payload: string) => void): Promise<{ stop(): Promise<void> }> {
    const { default: pg } = await import('pg');
    let stopped = false;
    let client: PgClient | undefined;
    let pause = 100;
    let chain = Promise.resolve();
    const deliver = (n: Notification) => {
      if (n.channel !== channel || n.payload === undefined) return;
      const raw = n.payload;
      chain = chain
        .then(async () => {
          const payload = raw.startsWith(REF)
            ? (
                await this.pool.query<{ payload: string }>(
                  'SELECT payload FROM appt_notify_payloads WHERE id = $1',
                  [raw.slice(REF.length)],
                )
              ).rows[0]?.payload
            : raw;
          if (payload !== undefined) onPayload(payload);
        })
        .catch(() => {});
    };
    const connect = async (): Promise<void> => {
      const c = new pg.Client(this.pool.options);
      c.on('notification', deliver);
      const again = () => {
        if (stopped || client !== c) return;
        client = undefined;
        c.removeAllListeners('notification');
        setTimeout(() => void connect().catch(() => {}), pause).unref();
        pause = Math.min(pause * 2, 5_000);
      };
      c.on('error', again);
      c.on('end', again);
      client = c;
      try {
        await c.connect();
        await c.query(`LISTEN ${pgIdent(channel)}`);
        pause = 100;
      } catch (e) {
        again();
        throw e;
      }
    };
    await connect();
    return {
      stop: async () => {
        stopped = true;
        const c = client;
        client = undefined;
        await c?.end().catch(() => {});
      },
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function pgIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return name;
}
