import { describe, expect, it } from 'vitest';
import { checkDay, dayIn, positiveInt, terminalZone } from './dates.js';
import { money, paint, table, visibleLength, when } from './format.js';
import { bufferIO } from './io.js';

describe('terminal output', () => {
  it('colours only when the IO says so (TTY, no NO_COLOR)', () => {
    expect(paint(bufferIO({ color: false }), 'red', 'x')).toBe('x');
    expect(paint(bufferIO({ color: true }), 'red', 'x')).toBe('\u001b[31mx\u001b[39m');
  });

  it('fits tables to the terminal width by shrinking flexible columns', () => {
    const io = bufferIO({ columns: 40 });
    const out = table(
      io,
      [{ header: 'ID' }, { header: 'NAME', flex: true }, { header: 'N', align: 'right' }],
      [
        ['a1', 'a very long customer name that does not fit', '7'],
        ['b2', 'short', '12'],
      ],
    );
    for (const l of out.trimEnd().split('\n')) expect(visibleLength(l)).toBeLessThanOrEqual(40);
    expect(out).toContain('…');
    expect(out).toMatch(/short\s+12/);
    const wide = table(
      bufferIO({ columns: 200 }),
      [{ header: 'NAME', flex: true }],
      [['a very long customer name that does not fit']],
    );
    expect(wide).toContain('does not fit');
  });

  it("shows times in the provider's zone and money with its currency", () => {
    expect(when('2030-01-07T14:30:00Z', 'America/New_York')).toBe('Mon 2030-01-07 09:30');
    expect(when('2030-01-07T14:30:00Z', 'Pacific/Auckland')).toBe('Tue 2030-01-08 03:30');
    expect(money(1500, 'USD')).toBe('15.00 USD');
    expect(money(-250, 'EUR')).toBe('-2.50 EUR');
    expect(money(null, 'EUR')).toBe('-');
  });
});

describe('dates', () => {
  it('accepts today, tomorrow and real calendar days only', () => {
    expect(checkDay('today')).toBe('today');
    expect(checkDay('2030-02-28')).toBe('2030-02-28');
    expect(() => checkDay('2030-02-30')).toThrow(/YYYY-MM-DD/);
    expect(() => checkDay('next week')).toThrow(/YYYY-MM-DD/);
  });

  it('resolves today/tomorrow in a zone', () => {
    const now = Date.parse('2030-01-07T23:30:00Z');
    expect(dayIn('today', 'America/New_York', now)).toBe('2030-01-07');
    expect(dayIn('today', 'Pacific/Auckland', now)).toBe('2030-01-08');
    expect(dayIn('tomorrow', 'Pacific/Auckland', now)).toBe('2030-01-09');
    expect(dayIn('2030-03-01', 'UTC', now)).toBe('2030-03-01');
    expect(terminalZone({ TZ: 'Europe/London' })).toBe('Europe/London');
  });

  it('checks whole numbers', () => {
    expect(positiveInt('5', '--n', 10)).toBe(5);
    expect(() => positiveInt('0', '--n')).toThrow(/--n/);
    expect(() => positiveInt('11', '--n', 10)).toThrow(/1 to 10/);
    expect(() => positiveInt('2.5', '--n')).toThrow();
  });
});
