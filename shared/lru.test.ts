import { describe, expect, it } from 'vitest';
import { BoundedLru } from './lru.js';

const byLength = (max: number) => new BoundedLru<string>(max, (s) => s.length);

describe('BoundedLru', () => {
  it('keeps values up to its cost bound, least recently used out first', () => {
    const c = byLength(10);
    c.set('a', 'aaaa');
    c.set('b', 'bbbb');
    expect(c.get('a')).toBe('aaaa'); // a is now the most recent
    c.set('c', 'cccc'); // 12 > 10: b goes
    expect(c.get('b')).toBeUndefined();
    expect([c.get('a'), c.get('c')]).toEqual(['aaaa', 'cccc']);
    expect(c.size).toEqual({ entries: 2, cost: 8 });
    c.set('a', 'AAAAAA'); // replacing counts the new cost only
    expect(c.size).toEqual({ entries: 2, cost: 10 });
    c.set('big', 'x'.repeat(11)); // costlier than the bound: not kept, nothing evicted
    expect(c.get('big')).toBeUndefined();
    expect(c.size.entries).toBe(2);
    c.delete('a');
    expect(c.size).toEqual({ entries: 1, cost: 4 });
  });

  it('bounded by count with a cost of 1 each; 0 keeps nothing', () => {
    const n = new BoundedLru<object>(2, () => 1);
    n.set('x', {});
    n.set('y', {});
    n.set('z', {});
    expect([n.get('x'), n.size.entries]).toEqual([undefined, 2]);
    const none = byLength(0);
    none.set('a', 'a');
    expect(none.get('a')).toBeUndefined();
  });
});
