import type Database from 'better-sqlite3';
import type { Db, Params, RunResult, TransactionOptions, Tx } from './port.js';

export type Sqlite = Database.Database;

/** Waiters in arrival order; one holder at a time. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const prev = this.tail;
    this.tail = prev.then(() => held);
    return prev.then(() => release);
  }
}

const READS = /^\s*(select|with)\b/i;

function isNamed(params: Params | undefined): params is [Record<string, unknown>] {
  return (
    params !== undefined &&
    params.length === 1 &&
    typeof params[0] === 'object' &&
    params[0] !== null &&
    !Array.isArray(params[0]) &&
    !Buffer.isBuffer(params[0])
  );
}

/** Prepared statements, cached per connection: placeholders, no query builder on hot paths. */
class Statements {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(readonly conn: Sqlite) {}
  prepare(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) this.cache.set(sql, (s = this.conn.prepare(sql)));
    return s;
  }
  all<R>(sql: string, params?: Params): R[] {
    const s = this.prepare(sql);
    return (isNamed(params) ? s.all(params[0]) : s.all(...(params ?? []))) as R[];
  }
  get<R>(sql: string, params?: Params): R | undefined {
    const s = this.prepare(sql);
    return (isNamed(params) ? s.get(params[0]) : s.get(...(params ?? []))) as R | undefined;
  }
  run(sql: string, params?: Params): RunResult {
    const s = this.prepare(sql);
    const r = isNamed(params) ? s.run(params[0]) : s.run(...(params ?? []));
    return { changes: r.changes };
  }
}

/** The statements of an open transaction: on the writer connection, which holds the lock. */
class SqliteTx implements Tx {
  readonly dialect = 'sqlite' as const;
  constructor(
    private readonly w: Statements,
    readonly path: string,
  ) {}
  async all<R = any>(sql: string, params?: Params) {
    return this.w.all<R>(sql, params);
  }
  async get<R = any>(sql: string, params?: Params) {
    return this.w.get<R>(sql, params);
  }
  async run(sql: string, params?: Params) {
    return this.w.run(sql, params);
  }
  async lock(_name: string): Promise<void> {
    // BEGIN IMMEDIATE took the database's write lock: nothing else can change a slot now
  }
  private depth = 0;
  /** A transaction inside a transaction is a savepoint: it rolls back alone, commits with the outer one. */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const name = `sp${++this.depth}`;
    this.w.conn.exec(`SAVEPOINT ${name}`);
    try {
      const r = await fn(this);
      this.w.conn.exec(`RELEASE ${name}`);
      return r;
    } catch (e) {
      this.w.conn.exec(`ROLLBACK TO ${name}`);
      this.w.conn.exec(`RELEASE ${name}`);
      throw e;
    } finally {
      this.depth--;
    }
  }
  async exclusive<T>(_name: string, fn: () => Promise<T>): Promise<T | undefined> {
    return fn();
  }
  async close(): Promise<void> {}
}

/**
 * SQLite behind the async port. Write transactions are `BEGIN IMMEDIATE` on the writer
 * connection and never interleave: an async transaction awaits between statements, so they
 * are serialized by a mutex in this process (other processes wait on SQLite's own lock,
 * `busy_timeout`). Reads outside a transaction go to a second, read-only connection, so they
 * never see another request's uncommitted statements (WAL: readers see the last commit).
 * An in-memory database has only one connection (tests).
 *
 * Group commit (`groupCommit`, on for the server's file database): with `synchronous=FULL`
 * every COMMIT waits for the disk, and on a real disk that fsync is most of a write's cost.
 * So the transactions that reach the writer within one turn of the event loop share one
 * outer transaction and one COMMIT: each runs in a savepoint of its own (a failure rolls
 * back that one alone and is answered at once), and none resolves — so no request is
 * acknowledged — before the shared COMMIT has returned. If the COMMIT fails, every member
 * fails with it and nothing of theirs is kept. The batch commits on the next `setImmediate`
 * (after the requests already read from their sockets have run) or at `GROUP_MAX` members.
 * Reads outside transactions stay on the reader connection, which sees only committed data.
 */
const GROUP_MAX = 64;

interface Batch {
  members: number;
  settled: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  private readonly mutex = new Mutex();
  private readonly w: Statements;
  private readonly r: Statements;
  private readonly tx: SqliteTx;
  private closed = false;
  private readonly group: boolean;
  private batch: Batch | undefined;

  constructor(
    readonly sqlite: Sqlite,
    readonly path: string,
    reader?: Sqlite,
    opts: { groupCommit?: boolean } = {},
  ) {
    this.w = new Statements(sqlite);
    this.r = reader ? new Statements(reader) : this.w;
    this.tx = new SqliteTx(this.w, path);
    // only with a separate reader: on one connection reads would see a batch before it commits
    this.group = Boolean(opts.groupCommit && reader);
  }

  /** The read-only connection (the writer for in-memory databases). */
  get reader(): Sqlite {
    return this.r.conn;
  }

  async all<R = any>(sql: string, params?: Params): Promise<R[]> {
    if (READS.test(sql)) return this.r.all<R>(sql, params);
    return this.transaction(async (tx) => tx.all<R>(sql, params));
  }
  async get<R = any>(sql: string, params?: Params): Promise<R | undefined> {
    if (READS.test(sql)) return this.r.get<R>(sql, params);
    return this.transaction(async (tx) => tx.get<R>(sql, params));
  }
  /** A single statement outside a transaction still waits its turn for the writer. */
  async run(sql: string, params?: Params): Promise<RunResult> {
    // with group commit a lone statement joins the batch (it must not ride on an open one)
    if (this.group) return this.transaction(async (tx) => tx.run(sql, params));
    const release = await this.mutex.acquire();
    try {
      return this.w.run(sql, params);
    } finally {
      release();
    }
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    if (this.group) return this.grouped(fn);
    const release = await this.mutex.acquire();
    try {
      this.sqlite.exec(opts.deferred ? 'BEGIN' : 'BEGIN IMMEDIATE');
      try {
        const result = await fn(this.tx);
        this.sqlite.exec('COMMIT');
        return result;
      } catch (e) {
        if (this.sqlite.inTransaction) this.sqlite.exec('ROLLBACK');
        throw e;
      }
    } finally {
      release();
    }
  }

  /** One member of a group commit (see the class comment). */
  private async grouped<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const release = await this.mutex.acquire();
    let batch: Batch;
    let result: T;
    try {
      batch = this.batch ?? this.openBatch();
      this.sqlite.exec('SAVEPOINT grp');
      try {
        result = await fn(this.tx);
        this.sqlite.exec('RELEASE grp');
      } catch (e) {
        if (this.sqlite.inTransaction) {
          this.sqlite.exec('ROLLBACK TO grp');
          this.sqlite.exec('RELEASE grp');
        } else if (this.batch === batch) {
          // SQLite rolled the whole transaction back (I/O error, disk full): the batch is gone
          this.batch = undefined;
          batch.reject(e);
        }
        throw e;
      }
      batch.members++;
      if (batch.members >= GROUP_MAX) this.commitBatch(batch);
    } finally {
      release();
    }
    await batch.settled;
    return result;
  }

  private openBatch(): Batch {
    this.sqlite.exec('BEGIN IMMEDIATE');
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const settled = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // a batch whose members all failed has nobody awaiting it
    settled.catch(() => {});
    const batch: Batch = { members: 0, settled, resolve, reject };
    this.batch = batch;
    setImmediate(() => {
      void this.flush(batch);
    });
    return batch;
  }

  private async flush(batch: Batch): Promise<void> {
    const release = await this.mutex.acquire();
    try {
      if (this.batch === batch) this.commitBatch(batch);
    } finally {
      release();
    }
  }

  /** Called with the mutex held. */
  private commitBatch(batch: Batch): void {
    this.batch = undefined;
    try {
      this.sqlite.exec('COMMIT');
      batch.resolve();
    } catch (e) {
      if (this.sqlite.inTransaction) this.sqlite.exec('ROLLBACK');
      batch.reject(e);
    }
  }

  async lock(_name: string): Promise<void> {
    // outside a transaction there is nothing to hold; inside one the write lock is held
  }

  async exclusive<T>(_name: string, fn: () => Promise<T>): Promise<T | undefined> {
    // one process per SQLite data directory: nobody else runs the job
    return fn();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const release = await this.mutex.acquire();
    try {
      if (this.batch) this.commitBatch(this.batch);
      if (this.r.conn !== this.sqlite && this.r.conn.open) this.r.conn.close();
      if (this.sqlite.open) {
        try {
          // fold the WAL into the database file, so a stopped server leaves one file
          if (!this.sqlite.readonly && this.path !== ':memory:')
            this.sqlite.pragma('wal_checkpoint(TRUNCATE)');
        } catch {
          // an optimisation only: the WAL is replayed on the next open anyway
        }
        this.sqlite.close();
      }
    } finally {
      release();
    }
  }

  /** Synchronous close for exit paths that cannot wait (the file is consistent either way). */
  closeNow(): void {
    this.closed = true;
    // an open batch is rolled back by the close: its members were never acknowledged
    this.batch?.reject(new Error('the database was closed before the commit'));
    this.batch = undefined;
    if (this.r.conn !== this.sqlite && this.r.conn.open) this.r.conn.close();
    if (this.sqlite.open) this.sqlite.close();
  }
}
