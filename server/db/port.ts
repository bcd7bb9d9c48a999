/**
 * The one database port the domain sees (DESIGN §7): async queries, write transactions and
 * locks. Only server/db/ knows the dialect; the SQLite adapter (./sqlite.ts) keeps
 * `BEGIN IMMEDIATE` semantics by serializing transactions in the process, the PostgreSQL
 * adapter (./pg.ts) runs them on a pooled connection.
 *
 * SQL is written once with `?` placeholders (or `@name` with one object of parameters);
 * the pg adapter numbers them. Where the dialects differ the domain asks `db.dialect`.
 */
export type Dialect = 'sqlite' | 'pg';

export type Params = unknown[] | [Record<string, unknown>];

export interface RunResult {
  changes: number;
}

/** What reads and writes statements: the database (outside a transaction) or a transaction. */
export interface Queryable {
  readonly dialect: Dialect;
  all<R = any>(sql: string, params?: Params): Promise<R[]>;
  get<R = any>(sql: string, params?: Params): Promise<R | undefined>;
  run(sql: string, params?: Params): Promise<RunResult>;
}

export interface TransactionOptions {
  /** SQLite only: `BEGIN` instead of `BEGIN IMMEDIATE` (never used for check-and-write). */
  deferred?: boolean;
}

export interface Db extends Queryable {
  /**
   * Inside a transaction (a Tx): a lock held until it ends, by name. On the database itself
   * it has nothing to hold on to: PostgreSQL refuses, SQLite has nothing to do.
   */
  lock(name: string): Promise<void>;
  /**
   * Runs `fn` in one write transaction and commits when it resolves (rolls back when it
   * throws). On PostgreSQL a deadlock or serialization failure re-runs `fn` from the start,
   * so `fn` must not have effects outside the transaction.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /**
   * Runs `fn` only if no other process holds the named session lock, else returns
   * undefined (periodic jobs run once across processes). SQLite: always runs.
   */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T | undefined>;
  close(): Promise<void>;
  /** the SQLite file (or ':memory:'); for PostgreSQL the URL without its password */
  readonly path: string;
  /**
   * PostgreSQL only (absent on SQLite, which has no other process to tell): in a
   * transaction, sends `payload` on `channel` when it commits (NOTIFY); payloads past
   * PostgreSQL's 8,000-byte limit travel by reference.
   */
  notify?(channel: string, payload: string): Promise<void>;
  /**
   * PostgreSQL only: hears every payload sent on `channel` (by any process) on a connection
   * of its own that reconnects by itself. Resolves once listening; `stop` ends it.
   */
  listen?(channel: string, onPayload: (payload: string) => void): Promise<{ stop(): Promise<void> }>;
}

/**
 * A write transaction in progress. Statements on it see its own uncommitted changes; a
 * transaction opened on it joins it. `lock(name)` (a provider id, an audit subject) is held
 * until it ends: PostgreSQL `pg_advisory_xact_lock`, SQLite nothing (the write lock is held).
 */
export interface Tx extends Db {}

/** Whether an error is a unique / exclusion constraint violation (→ 409 in the domain). */
export function isConstraintError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = String((e as { code?: string }).code);
  // SQLite: SQLITE_CONSTRAINT_*; PostgreSQL: 23505 unique, 23P01 exclusion
  return code.startsWith('SQLITE_CONSTRAINT') || code === '23505' || code === '23P01';
}

/**
 * Runs one statement that a constraint may refuse, so that the transaction is still usable
 * after the refusal (to compute alternatives, to write the rejected attempt to the audit).
 * PostgreSQL aborts the whole transaction on an error: the statement runs in a savepoint.
 * SQLite rolls back only the failing statement: it runs as it is.
 */
export async function guarded<T>(db: Db, fn: (db: Db) => Promise<T>): Promise<T> {
  return db.dialect === 'pg' ? db.transaction(async (sp) => fn(sp)) : fn(db);
}

/**
 * ` FOR UPDATE SKIP LOCKED` on PostgreSQL: a claim in one process skips the rows another
 * process is claiming. SQLite needs nothing (one writer at a time) and has no such clause.
 */
export function skipLocked(db: Queryable): string {
  return db.dialect === 'pg' ? ' FOR UPDATE SKIP LOCKED' : '';
}

/**
 * A statement on the port, in the shape the domain code has always used: `stmt(db, sql)
 * .get(a, b)`, `.all(...)`, `.run(...)` — now returning promises. One object argument
 * means named parameters (`@name`).
 */
export function stmt<R = any>(db: Queryable, sql: string) {
  return {
    get: (...args: unknown[]): Promise<R | undefined> => db.get<R>(sql, args as Params),
    all: (...args: unknown[]): Promise<R[]> => db.all<R>(sql, args as Params),
    run: (...args: unknown[]): Promise<RunResult> => db.run(sql, args as Params),
  };
}
