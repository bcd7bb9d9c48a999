import { describe, expect, it } from 'vitest';
import { Coalescer, type Timers } from './coalesce.js';

/** A hand-driven clock and timer queue, so the window logic is checked without sleeping. */
function fakeTimers() {
  let now = 0;
  let seq = 0;
  const queue = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      queue.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void queue.delete(h as number),
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = [...queue.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      queue.delete(due[0]);
      now = Math.max(now, due[1].at);
      due[1].fn();
    }
    now = end;
  };
  return { timers, advance, pending: () => queue.size };
}

describe('Coalescer', () => {
  it('flushes the first item at once, then at most one batch per window, losing nothing', () => {
    const t = fakeTimers();
    const out: [string, number[]][] = [];
    const c = new Coalescer<number>(250, (k, items) => out.push([k, items]), t.timers);
    c.add('p|d', 1);
    c.add('p|d', 2); // same turn: travels with the first
    t.advance(0);
    expect(out).toEqual([['p|d', [1, 2]]]);
    for (let i = 3; i <= 102; i++) {
      c.add('p|d', i);
      t.advance(1); // 100 changes in 100 ms
    }
    expect(out).toHaveLength(1);
    t.advance(150); // 250 ms after the first flush
    expect(out).toHaveLength(2);
    expect(out[1][1]).toEqual(Array.from({ length: 100 }, (_, i) => i + 3));
    t.advance(1000);
    expect(out).toHaveLength(2);
    expect(t.pending()).toBe(0);
  });

  it('keeps keys independent and a quiet key flushes at once again', () => {
    const t = fakeTimers();
    const out: string[] = [];
    const c = new Coalescer<number>(250, (k) => out.push(k), t.timers);
    c.add('a', 1);
    c.add('b', 1);
    t.advance(0);
    expect(out).toEqual(['a', 'b']);
    t.advance(300);
    c.add('a', 2);
    t.advance(0);
    expect(out).toEqual(['a', 'b', 'a']);
    c.add('a', 3);
    t.advance(100);
    expect(out).toHaveLength(3);
    expect(c.pendingKeys()).toBe(1);
    c.stop();
    t.advance(1000);
    expect(out).toHaveLength(3);
    c.add('a', 4); // after stop: ignored
    expect(t.pending()).toBe(0);
  });
});
