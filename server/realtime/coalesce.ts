/**
 * Rate-limits messages per key: the first item of a quiet key is flushed on the next turn
 * of the event loop (so one transaction's several changes travel together), later items
 * wait until `windowMs` has passed since the previous flush and go out together. Nothing
 * added is ever dropped; only the number of messages is bounded.
 */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface KeyState<V> {
  lastFlush: number;
  pending: V[];
  timer: unknown;
}

export class Coalescer<V> {
  private readonly keys = new Map<string, KeyState<V>>();
  private stopped = false;

  constructor(
    private readonly windowMs: number,
    private readonly flush: (key: string, items: V[]) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  add(key: string, item: V): void {
    if (this.stopped) return;
    const now = this.timers.now();
    let s = this.keys.get(key);
    if (!s) {
      if (this.keys.size > 10_000) this.prune(now);
      s = { lastFlush: Number.NEGATIVE_INFINITY, pending: [], timer: null };
      this.keys.set(key, s);
    }
    s.pending.push(item);
    if (s.timer !== null) return;
    const wait = Math.max(0, s.lastFlush + this.windowMs - now);
    const state = s;
    s.timer = this.timers.setTimeout(() => this.fire(key, state), wait);
  }

  /** Keys with a message waiting. */
  pendingKeys(): number {
    let n = 0;
    for (const s of this.keys.values()) if (s.pending.length > 0) n++;
    return n;
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.keys.values()) if (s.timer !== null) this.timers.clearTimeout(s.timer);
    this.keys.clear();
  }

  private fire(key: string, s: KeyState<V>): void {
    s.timer = null;
    s.lastFlush = this.timers.now();
    const items = s.pending;
    s.pending = [];
    if (items.length > 0) this.flush(key, items);
  }

  /** Forgets quiet keys so the map does not grow with every provider/date ever touched. */
  private prune(now: number): void {
    for (const [k, s] of this.keys)
      if (s.timer === null && s.pending.length === 0 && now - s.lastFlush >= this.windowMs)
        this.keys.delete(k);
  }
}
