import { describe, expect, it } from 'vitest';
import { parseSince } from '../shared/since.js';
import { sinceArg } from './dates.js';

describe('--since / --until (one reading, shared with the server)', () => {
  const now = Date.parse('2030-01-07T12:00:00Z');
  it('takes spans and ISO times exactly as the server does', () => {
    for (const v of ['1h', '7d', '90m', '2w', '2030-01-01', '2030-01-05T10:00:00+02:00'])
      expect(sinceArg(v, '--since', now)).toBe(new Date(parseSince(v, now)!).toISOString());
    expect(sinceArg('1h', '--since', now)).toBe('2030-01-07T11:00:00.000Z');
  });
  it('refuses what the server refuses; --until may lie ahead', () => {
    for (const bad of ['yesterday', '7', '-7d', '2031-01-01'])
      expect(() => sinceArg(bad, '--since', now)).toThrow(/expected a span like 7d/);
    expect(sinceArg('2031-01-01', '--until', now)).toBe('2031-01-01T00:00:00.000Z');
  });
});
