import { describe, expect, it } from 'vitest';
import { PageCache } from './page-cache.js';

describe('PageCache', () => {
  it('keeps pages up to its byte bound, least recently used out first', () => {
    const c = new PageCache(10);
    c.set('a', 'aaaa');
    c.set('b', 'bbbb');
    expect(c.get('a')).toBe('aaaa'); // a is now the most recent
    c.set('c', 'cccc'); // 12 bytes > 10: b goes
    expect(c.get('b')).toBeUndefined();
    expect([c.get('a'), c.get('c')]).toEqual(['aaaa', 'cccc']);
    expect(c.size).toEqual({ pages: 2, bytes: 8 });
    c.set('a', 'AAAAAA'); // replacing counts the new size only
    expect(c.size).toEqual({ pages: 2, bytes: 10 });
    c.set('big', 'x'.repeat(11)); // larger than the bound: not kept, nothing evicted
    expect(c.get('big')).toBeUndefined();
    expect(c.size.pages).toBe(2);
  });

  it('0 bytes keeps nothing', () => {
    const c = new PageCache(0);
    c.set('a', 'a');
    expect(c.get('a')).toBeUndefined();
  });
});
