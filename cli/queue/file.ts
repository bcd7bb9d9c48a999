import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { QueueDoc } from './types.js';

/**
 * Where a queue document lives. The file backend is the real one; the memory backend is
 * for TUI tests. `mutate` is a locked read-modify-write: no two writers interleave.
 */
export interface QueueStorage {
  read(): QueueDoc;
  mutate<T>(fn: (doc: QueueDoc) => T): T;
  /** reasons the stored queue could not be read as it was (moved aside files) */
  readonly problems: string[];
}

const empty = (): QueueDoc => ({ format: 1, items: [] });

export function memoryStorage(initial: QueueDoc = empty()): QueueStorage {
  let doc = structuredClone(initial);
  return {
    problems: [],
    read: () => structuredClone(doc),
    mutate(fn) {
      const d = structuredClone(doc);
      const r = fn(d);
      doc = d;
      return r;
    },
  };
}

export interface FileStorageOptions {
  /** a lock older than this is taken over even when its process seems alive (ms) */
  staleLockMs?: number;
  /** how long to wait for the lock before giving up (ms) */
  lockTimeoutMs?: number;
  now?: () => number;
}

/** The queue could not be locked in time (another process holds it). */
export class QueueLockedError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: string,
  ) {
    super(`offline queue is locked by ${holder || 'another process'} (${lockPath})`);
    this.name = 'QueueLockedError';
  }
}

/**
 * The queue as its own JSON file (mode 0600), never shared with the config/snapshot store.
 * - Writes go to a temp file in the same directory, are fsynced, then renamed over the
 *   queue: a process killed mid-write leaves the old file or the new one, never half.
 * - Read-modify-write runs under `<file>.lock`, created with O_EXCL. A lock whose process
 *   is gone (same host) or that is older than `staleLockMs` is taken over: it is renamed to
 *   a name only this process knows before being removed, so two processes taking over the
 *   same stale lock cannot both win.
 * - A file that does not parse is moved aside (`<file>.unreadable-<time>`) and reported in
 *   `problems`, never read as an empty queue and overwritten.
 */
export function fileStorage(path: string, o: FileStorageOptions = {}): QueueStorage {
  const lockPath = `${path}.lock`;
  const staleMs = o.staleLockMs ?? 30_000;
  const timeoutMs = o.lockTimeoutMs ?? 10_000;
  const now = o.now ?? Date.now;
  const problems: string[] = [];
  const host = hostname();

  function parse(text: string): QueueDoc | undefined {
    try {
      const v = JSON.parse(text) as Partial<QueueDoc> | null;
      if (v && typeof v === 'object' && Array.isArray(v.items)) return { format: 1, items: v.items };
    } catch {
      // fall through: unreadable
    }
    return undefined;
  }

  /** Reads the file; an unreadable one is moved aside (only under the lock: `lockHeld`). */
  function load(lockHeld: boolean): QueueDoc {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return empty();
      throw e;
    }
    const doc = parse(text);
    if (doc) return doc;
    if (!lockHeld) return withLock(() => load(true));
    const aside = `${path}.unreadable-${new Date(now()).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(path, aside);
    problems.push(
      `the offline queue file could not be read; it was moved aside to ${aside} (nothing replayed from it)`,
    );
    return empty();
  }

  function write(doc: QueueDoc): void {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(doc, undefined, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    try {
      // the rename itself is durable once the directory is synced
      const dfd = openSync(dirname(path), 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      // some filesystems refuse to fsync a directory; the rename is still atomic
    }
  }

  function holderOf(): { pid: number; host: string; at: number } | undefined {
    try {
      const [pid, h, at] = readFileSync(lockPath, 'utf8').trim().split(' ');
      return { pid: Number(pid), host: h ?? '', at: Number(at) || statSync(lockPath).mtimeMs };
    } catch {
      return undefined;
    }
  }

  function isStale(h: { pid: number; host: string; at: number }): boolean {
    if (now() - h.at > staleMs) return true;
    if (h.host !== host || !Number.isInteger(h.pid) || h.pid <= 0) return false;
    try {
      process.kill(h.pid, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }

  function acquire(): void {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const deadline = now() + timeoutMs;
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    for (let i = 0; ; i++) {
      // The lock appears whole or not at all: its holder line is written to a private file
      // first and then hard-linked into place (link fails with EEXIST atomically). A writer
      // killed between creating and filling the lock would otherwise leave an empty lock
      // that names nobody and blocks every later writer until it went stale.
      const mine = `${lockPath}.${process.pid}-${i}.new`;
      try {
        const fd = openSync(mine, 'w', 0o600);
        writeSync(fd, `${process.pid} ${host} ${now()}\n`);
        closeSync(fd);
        linkSync(mine, lockPath);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      } finally {
        try {
          unlinkSync(mine);
        } catch {
          // already gone
        }
      }
      const h = holderOf();
      if (h && isStale(h)) {
        const stale = `${lockPath}.stale-${process.pid}-${i}`;
        try {
          renameSync(lockPath, stale);
          unlinkSync(stale);
        } catch {
          // someone else took it over first: try again
        }
        continue;
      }
      if (now() > deadline) throw new QueueLockedError(lockPath, h ? `pid ${h.pid} on ${h.host}` : '');
      // a short synchronous wait: the critical section is one small file write
      Atomics.wait(sleeper, 0, 0, Math.min(5 + i, 25));
    }
  }

  function release(): void {
    try {
      unlinkSync(lockPath);
    } catch {
      // taken over as stale meanwhile: nothing to release
    }
  }

  function withLock<T>(fn: () => T): T {
    acquire();
    try {
      return fn();
    } finally {
      release();
    }
  }

  function sweepTemps(): void {
    // temp and lock-candidate files of writers killed mid-write (older than a minute) are litter, not data
    try {
      const dir = dirname(path);
      const prefix = `${basename(path)}.`;
      for (const f of readdirSync(dir)) {
        if (!f.startsWith(prefix) || !(f.endsWith('.tmp') || f.endsWith('.new'))) continue;
        const p = join(dir, f);
        if (now() - statSync(p).mtimeMs > 60_000) unlinkSync(p);
      }
    } catch {
      // best effort
    }
  }

  return {
    problems,
    read: () => load(false),
    mutate<T>(fn: (doc: QueueDoc) => T): T {
      return withLock(() => {
        const doc = load(true);
        const before = JSON.stringify(doc);
        const r = fn(doc);
        if (JSON.stringify(doc) !== before) write(doc);
        sweepTemps();
        return r;
      });
    },
  };
}
