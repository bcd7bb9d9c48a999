import { describe, expect, it } from 'vitest';
import { checkDay, dayIn, positiveInt, terminalZone } from './dates.js';
import { actorLabel, appointmentTable, money, paint, table, visibleLength, when, whenZ } from './format.js';
import type { Appointment } from '../shared/client.js';
import { bufferIO } from './io.js';

describe('terminal output', () => {
  it('colours only when the IO says so (TTY, no NO_COLOR)', () => {
    expect(paint(bufferIO({ color: false }), 'red', 'x')).toBe('x');
    expect(paint(bufferIO({ color: true }), 'red', 'x')).toBe('\u001b[31mx\u001b[39m');
  });

  it('fits tables to the terminal width by shrinking flexible columns', () => {
    const io = bufferIO({ columns: 40, isTTY: true });
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
      bufferIO({ columns: 200, isTTY: true }),
      [{ header: 'NAME', flex: true }],
      [['a very long customer name that does not fit']],
    );
    expect(wide).toContain('does not fit');
  });

  it('at 80 columns no row wraps, names come before ids, and ids are never cut', () => {
    const a = (i: number, over: Partial<Appointment> = {}) =>
      ({
        id: `01a23416-7407-7670-8eb2-ff190e98${String(i).padStart(4, '0')}`,
        userName: 'Francesca Torvalds-Okonkwo',
        providerName: 'Dr. Annika Lindqvist-Hoffmann',
        serviceTitle: 'Extended consultation with follow-up',
        start: `2030-01-08T${String(9 + i).padStart(2, '0')}:00:00Z`,
        timezone: 'Europe/Berlin',
        status: i ? 'confirmed' : 'no_show',
        needsAttention: false,
        ...over,
      }) as Appointment;
    for (const items of [
      [a(0), a(1)],
      [a(0), a(1, { timezone: 'Pacific/Auckland', start: '2030-01-09T01:00:00Z' })],
    ]) {
      const out = appointmentTable(bufferIO({ columns: 80, isTTY: true }), items);
      const lines = out.trimEnd().split('\n');
      for (const l of lines) expect(visibleLength(l)).toBeLessThanOrEqual(80);
      for (const x of items) expect(out).toContain(x.id);
      expect(lines[2]!.indexOf('Frances')).toBeGreaterThanOrEqual(0);
      expect(lines[2]!.indexOf('Frances')).toBeLessThan(lines[2]!.indexOf(items[0]!.id));
      expect(out).toContain('no-show');
    }
    // one zone: named once (a title on a terminal, the header when piped)
    expect(appointmentTable(bufferIO({ columns: 80, isTTY: true }), [a(0), a(1)])).toMatch(
      /^times in Europe\/Berlin\n/,
    );
    expect(appointmentTable(bufferIO(), [a(0), a(1)])).toMatch(/^CUSTOMER\tSTART \(Europe\/Berlin\)\tSTATUS/);
    expect(
      appointmentTable(bufferIO({ columns: 80, isTTY: true }), [
        a(0),
        a(1, { timezone: 'Pacific/Auckland' }),
      ]),
    ).toMatch(/\d\d-\d\d \d\d:00 GMT\+13/);
  });

  it('piped, tables are whole values separated by tabs (header first), nothing cut', () => {
    const out = table(
      bufferIO({ columns: 20 }),
      [{ header: 'ID' }, { header: 'NAME', flex: true }],
      [['a1', 'a very long customer name that does not fit']],
    );
    expect(out).toBe('ID\tNAME\na1\ta very long customer name that does not fit\n');
  });

  it('names the actor in words, with the id as the fallback', () => {
    expect(actorLabel({ id: 'token:t1', type: 'staff', name: 'demo front desk', role: 'staff' })).toBe(
      'demo front desk, staff',
    );
    expect(actorLabel({ id: 'u1', type: 'user', name: 'Fran Torvalds', role: 'user' })).toBe('Fran Torvalds');
    expect(actorLabel({ id: 'system', type: 'system', name: 'system', role: null })).toBe('system');
    expect(actorLabel({ id: 'token:t9', type: 'staff', name: null, role: null })).toBe('staff:token:t9');
    expect(whenZ('2030-01-07T14:30:00Z', 'America/New_York')).toBe('Mon 2030-01-07 09:30 America/New_York');
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
