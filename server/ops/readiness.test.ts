import { describe, expect, it } from 'vitest';
import type { IntegrityResult } from '../invariants/integrity.js';
import { IntegrityCache } from './readiness.js';

describe('12.6 /readyz integrity cache', () => {
  it('the first answer waits for the start-up run; later ones use the last result, refreshed in the background when stale; fresh waits', async () => {
    let t = 0;
    let runs = 0;
    let answer: IntegrityResult = { ok: true };
    let release: (() => void) | undefined;
    const cache = new IntegrityCache(
      () =>
        new Promise<IntegrityResult>((resolve) => {
          runs++;
          const a = answer;
          release = () => resolve(a);
        }),
      60_000,
      () => t,
    );
    const first = cache.get();
    expect(runs).toBe(1);
    release!();
    expect(await first).toEqual({ ok: true });
    // damaged meanwhile: the cached answer stands until it is a minute old
    answer = { ok: false, detail: 'Tree 7 page 42: btreeInitPage() returns error code 11' };
    t = 30_000;
    expect(await cache.get()).toEqual({ ok: true });
    expect(runs).toBe(1);
    t = 61_000;
    expect(await cache.get()).toEqual({ ok: true }); // stale: answered, a new run started
    expect(runs).toBe(2);
    expect(await cache.get()).toEqual({ ok: true }); // the run in progress is not started twice
    expect(runs).toBe(2);
    release!();
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect((await cache.get())?.ok).toBe(false);
    // ?full=1 waits for a run of its own
    answer = { ok: true };
    const fresh = cache.get({ fresh: true });
    expect(runs).toBe(3);
    release!();
    expect(await fresh).toEqual({ ok: true });
  });

  it('a run that throws (the file cannot be read) is not ok', async () => {
    const cache = new IntegrityCache(async () => {
      throw new Error('SQLITE_CORRUPT: database disk image is malformed');
    });
    expect(await cache.get()).toEqual({
      ok: false,
      detail: 'quick_check failed: SQLITE_CORRUPT: database disk image is malformed',
    });
  });
});
