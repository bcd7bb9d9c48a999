import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { addDays, dayOf, daysBetween } from './time.js';

describe('dayOf and addDays answer what luxon answers (they skip it on repeat calls)', () => {
  it('dayOf: every 7 minutes across both 2030 DST changes and a skipped midnight, in several zones', () => {
    const zones = [
      'UTC',
      'America/New_York',
      'Europe/Berlin',
      'Pacific/Auckland',
      'Asia/Kathmandu',
      'America/Santiago',
    ];
    const spans = [
      [Date.parse('2030-03-08T00:00:00Z'), Date.parse('2030-04-08T00:00:00Z')],
      [Date.parse('2030-09-20T00:00:00Z'), Date.parse('2030-11-06T00:00:00Z')],
    ];
    let checked = 0;
    // forwards and then backwards, so cached ranges are hit out of order too
    for (const zone of zones)
      for (const [from, to] of spans)
        for (const dir of [1, -1])
          for (let t = dir > 0 ? from : to; dir > 0 ? t < to : t > from; t += dir * 7 * 60_000) {
            const want = DateTime.fromMillis(t, { zone }).toISODate();
            if (dayOf(t, zone) !== want)
              expect([zone, new Date(t).toISOString(), dayOf(t, zone)]).toEqual([
                zone,
                new Date(t).toISOString(),
                want,
              ]);
            checked++;
          }
    expect(checked).toBeGreaterThan(100_000);
  });

  it('addDays and daysBetween: month and year ends, leap days, negative steps', () => {
    for (const [day, n] of [
      ['2030-01-31', 1],
      ['2032-02-28', 1],
      ['2032-03-01', -1],
      ['2030-12-31', 1],
      ['2030-03-10', 365],
      ['2030-06-15', -400],
    ] as const) {
      const want = DateTime.fromISO(day, { zone: 'UTC' }).plus({ days: n }).toISODate();
      expect(addDays(day, n)).toBe(want);
      expect(daysBetween(day, addDays(day, n))).toBe(n);
    }
  });
});
