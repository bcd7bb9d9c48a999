import { describe, expect, it } from 'vitest';
import { formatAlternatives, span } from './runtime.js';

describe('alternatives read as times', () => {
  it('spells differences in days, hours and minutes', () => {
    expect(span(1410)).toBe('+23 h 30 min');
    expect(span(-30)).toBe('-30 min');
    expect(span(60)).toBe('+1 h');
    expect(span(2 * 1440 + 60)).toBe('+2 d 1 h');
    expect(
      formatAlternatives(
        [{ timeslotId: 'ts_x', start: '2030-01-08T14:00:00Z', deltaMinutes: 1410, priceDeltaCents: 0 }],
        'America/New_York',
      ),
    ).toBe('alternatives:\n  2030-01-08 09:00 America/New_York (+23 h 30 min)  --to ts_x\n');
  });
});
