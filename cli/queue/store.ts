import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileStorage, memoryStorage, type QueueStorage } from './file.js';
import type { QueuedAction, QueueIdentity, QueueProblem } from './types.js';

export type { QueuedAction, QueueIdentity, QueueProblem } from './types.js';

/** The login an intent belongs to. The token itself is not stored, only a short hash. */
export function identityOf(s: {
  server: string;
  token: string;
  me?: { tokenId?: string; userId?: string | undefined; name?: string } | undefined;
}): QueueIdentity {
  return {
    server: s.server.replace(/\/+$/, ''),
    tokenHash: createHash('sha256').update(s.token).digest('hex').slice(0, 16),
    ...(s.me?.tokenId ? { tokenId: s.me.tokenId } : {}),
    ...(s.me?.userId ? { userId: s.me.userId } : {}),
    ...(s.me?.name ? { name: s.me.name } : {}),
  };
}

/** Same login: same server and the same token (by id when both know it, else by hash). */
export function sameIdentity(a: QueueIdentity | undefined, b: QueueIdentity): boolean {
  if (!a || a.server !== b.server) return false;
  if (a.tokenId && b.tokenId) return a.tokenId === b.tokenId;
  return a.tokenHash === b.tokenHash;
}

export const CLAIM_STALE_MS = 120_000;

export type NewIntent = Omit<QueuedAction, 'id' | 'queuedAt' | 'server' | 'identity'> & {
  /** the version the user saw; `null` says it was never seen (offline before any read) */
  version: number | null;
  id?: string;
  queuedAt?: string;
};

/**
 * The offline queue for one login. Every change is one locked read-modify-write of the
 * queue file, so the CLI and the TUI (or two terminals) can share it.
 */
export class QueueStore {
  private readonly by = randomUUID();
  constructor(
    readonly storage: QueueStorage,
    readonly identity: QueueIdentity,
    private readonly now: () => number = Date.now,
  ) {}

  get problems(): string[] {
    return this.storage.problems;
  }

  /** Every queued intent, whoever made it (for `appt queue list`). */
  all(): QueuedAction[] {
    return this.storage.read().items;
  }

  /** This login's intents. */
  mine(): QueuedAction[] {
    return this.all().filter((q) => sameIdentity(q.identity, this.identity));
  }

  /** Intents a replay would send now: this login's, not refused, not being replayed elsewhere. */
  pending(): QueuedAction[] {
    return this.mine().filter((q) => !q.lastError);
  }

  add(a: NewIntent | QueuedAction): QueuedAction {
    const item: QueuedAction = {
      ...a,
      id: a.id ?? `q${this.now().toString(36)}${randomUUID().slice(0, 4)}`,
      queuedAt: a.queuedAt ?? new Date(this.now()).toISOString(),
      server: this.identity.server,
      identity: this.identity,
      version: a.version ?? null,
    };
    return this.storage.mutate((d) => {
      // the same intent queued twice (same key) stays one entry
      const old = d.items.find((x) => x.idempotencyKey === item.idempotencyKey);
      if (old) return old;
      d.items.push(item);
      return item;
    });
  }

  /**
   * Takes an intent for replay: succeeds when nobody else holds a live claim on it. The
   * claim is what makes two replayers (CLI and TUI at once) send each intent once.
   */
  claim(id: string, o: { includeRefused?: boolean } = {}): QueuedAction | undefined {
    const host = hostname();
    return this.storage.mutate((d) => {
      const q = d.items.find((x) => x.id === id);
      if (!q || !sameIdentity(q.identity, this.identity)) return undefined;
      if (q.lastError && !o.includeRefused) return undefined;
      if (q.claim && q.claim.by !== this.by && !claimIsStale(q.claim, host, this.now())) return undefined;
      q.claim = { pid: process.pid, host, at: new Date(this.now()).toISOString(), by: this.by };
      return structuredClone(q);
    });
  }

  /** Done (applied now or before): the intent leaves the queue. */
  settle(id: string): void {
    this.storage.mutate((d) => {
      d.items = d.items.filter((x) => x.id !== id);
    });
  }

  /** A business refusal: kept, marked, with the user's own reason and the alternatives. */
  refuse(id: string, error: QueueProblem): void {
    this.patch(id, (q) => {
      q.lastError = error;
      q.attempts = (q.attempts ?? 0) + 1;
      q.lastAttempt = { at: new Date(this.now()).toISOString(), error };
    });
  }

  /** No decision (offline, 5xx, 429, …): stays queued for a later replay. */
  keep(id: string, error: QueueProblem): void {
    this.patch(id, (q) => {
      q.attempts = (q.attempts ?? 0) + 1;
      q.lastAttempt = { at: new Date(this.now()).toISOString(), error };
    });
  }

  /** Lets go of a claim without recording anything. */
  unclaim(id: string): void {
    this.patch(id, () => {});
  }

  drop(id: string): boolean {
    return this.storage.mutate((d) => {
      const n = d.items.length;
      d.items = d.items.filter((x) => x.id !== id);
      return d.items.length !== n;
    });
  }

  private patch(id: string, fn: (q: QueuedAction) => void): void {
    this.storage.mutate((d) => {
      const q = d.items.find((x) => x.id === id);
      if (!q) return;
      fn(q);
      delete q.claim;
    });
  }
}

function claimIsStale(c: NonNullable<QueuedAction['claim']>, host: string, now: number): boolean {
  if (now - Date.parse(c.at) > CLAIM_STALE_MS) return true;
  if (c.host !== host) return false;
  try {
    process.kill(c.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export function queuePath(configDir: string): string {
  return join(configDir, 'queue.json');
}

export function openQueue(configDir: string, identity: QueueIdentity, now?: () => number): QueueStore {
  return new QueueStore(fileStorage(queuePath(configDir)), identity, now);
}

export function memoryQueue(identity: QueueIdentity = { server: '', tokenHash: '' }): QueueStore {
  return new QueueStore(memoryStorage(), identity);
}
