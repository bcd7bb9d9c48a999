import { describe, expect, it } from 'vitest';
import { cell, mmss, rowColumns, signedMinutes, signedMoney } from './format.js';
import { appt } from './testing.js';

describe('format', () => {
  it('countdown text rounds up to whole seconds and never goes negative', () => {
    expect(mmss(89_001)).toBe('01:30');
    expect(mmss(89_000)).toBe('01:29');
    expect(mmss(0)).toBe('00:00');
    expect(mmss(-5000)).toBe('00:00');
  });
  it('time and price differences', () => {
    expect(signedMinutes(30)).toBe('+30 min');
    expect(signedMinutes(-60)).toBe('-1 h');
    expect(signedMinutes(1470)).toBe('+1 d 30 min');
    expect(signedMinutes(0)).toBe('same time');
    expect(signedMoney(1000, 'USD')).toBe('+10.00 USD');
    expect(signedMoney(-250, 'EUR')).toBe('-2.50 EUR');
    expect(signedMoney(0, 'EUR')).toBe('same price');
  });
  it('cells pad or cut with an ellipsis', () => {
    expect(cell('abc', 5)).toBe('abc  ');
    expect(cell('abcdef', 4)).toBe('abc…');
    expect(cell('x', 0)).toBe('');
  });
  it('row columns fit 80 and 100 columns', () => {
    const a = appt({ start: '2030-01-09T15:30:00Z', providerName: 'A very long provider name indeed' });
    for (const w of [80, 100, 140]) {
      const c = rowColumns(a, w, true);
      const line = `› ${c.when} ${c.customer} ${c.provider} ${c.service} ${c.status}${c.price}`;
      expect(line.length).toBeLessThanOrEqual(w);
    }
  });
});
