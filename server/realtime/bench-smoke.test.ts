import { describe, expect, it } from 'vitest';
import { runRealtimeBench } from '../../scripts/bench/realtime.js';

/** The realtime benchmark, shrunk: it runs against the real server process and stops by itself. */
describe('scripts/bench/realtime', () => {
  it('measures fan-out and memory with a few subscribers, within its bound', async () => {
    const lines: string[] = [];
    const r = await runRealtimeBench({ clients: 20, rounds: 3, deadlineS: 60, log: (l) => lines.push(l) });
    const byLabel = Object.fromEntries(r.figures.map((f) => [f.label, f]));
    expect(byLabel['fan-out to 20 subscribers p50'].value).toBeGreaterThan(0);
    expect(byLabel['fan-out to 20 subscribers p99'].ok).toBe(true);
    expect(Number.isFinite(byLabel['server memory per connection'].value)).toBe(true);
    expect(lines.join('\n')).toMatch(/all 20 have it/);
  }, 90_000);
});
