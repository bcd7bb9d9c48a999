import type { Db } from '../db/open.js';
import type { IntegrityResult } from '../invariants/integrity.js';

/**
 * The write check of /readyz: a write transaction that really writes, so a database (or
 * disk) that refuses writes is not ready. The old probe, an empty `BEGIN IMMEDIATE;
 * COMMIT`, takes the lock and writes nothing, so it passed on a full disk.
 *
 * SQLite: rewrites the header's `user_version` with the value it already has (no table
 * needed, nothing changes): the page goes through the WAL and is fsynced at commit
 * (synchronous=FULL), exactly like a booking's write. PostgreSQL: `txid_current()` gives
 * the transaction an id, so its commit writes and flushes a WAL record; that fails on a
 * standby or with a full WAL disk. A primary set to read-only (`default_transaction_read_only`)
 * would still hand out an id, so that setting is checked too.
 */
export async function writeProbe(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    if (tx.dialect === 'sqlite') {
      const row = await tx.get<{ user_version: number }>('PRAGMA user_version');
      const v = Math.trunc(Number(row?.user_version ?? 0));
      await tx.run(`PRAGMA user_version = ${v}`);
      return;
    }
    const r = await tx.get<{ ro: string }>(
      "SELECT txid_current() AS xid, current_setting('transaction_read_only') AS ro",
    );
    if (r?.ro === 'on') throw new Error('the database is in read-only mode');
  });
}

/**
 * The cached integrity part of /readyz. The first run starts with the server; /readyz
 * answers from the last result and starts a new run in the background once that result is
 * older than `maxAgeMs` (so a probe never waits for a scan, except the first one, which
 * waits for the start-up run); `fresh` (`/readyz?full=1`) waits for a new run. A run that
 * throws (the file cannot be read) counts as not ok.
 */
export class IntegrityCache {
  private last: { at: number; result: IntegrityResult | undefined } | undefined;
  private pending: Promise<IntegrityResult | undefined> | undefined;

  constructor(
    private readonly run: () => Promise<IntegrityResult | undefined>,
    private readonly maxAgeMs = 60_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Starts a run unless one is under way; resolves with its result (never rejects). */
  refresh(): Promise<IntegrityResult | undefined> {
    if (this.pending !== undefined) return this.pending;
    const p = this.run()
      .catch(
        (e: unknown): IntegrityResult => ({
          ok: false,
          detail: `quick_check failed: ${(e as Error).message}`,
        }),
      )
      .then((result) => {
        this.last = { at: this.now(), result };
        return result;
      })
      .finally(() => {
        if (this.pending === p) this.pending = undefined;
      });
    this.pending = p;
    return p;
  }

  /** undefined: not checked (PostgreSQL). */
  async get(opts: { fresh?: boolean } = {}): Promise<IntegrityResult | undefined> {
    if (opts.fresh || !this.last) return await this.refresh();
    if (this.now() - this.last.at > this.maxAgeMs) void this.refresh();
    return this.last.result;
  }
}
