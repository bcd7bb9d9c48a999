import { describe, expect, it } from 'vitest';
import { itemKey, itemsHash, parseCsv, parsePlan } from './bulk-plan.js';
import { CliError } from './exit-codes.js';

describe('bulk plans', () => {
  it('reads CSV with quotes, CRLF and blank lines', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n\n1,2')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['1', '2'],
    ]);
    const items = parsePlan(
      'appointmentId,action,to,reason\nA1,cancel,,"ill, sorry"\nA2,,,\n',
      'p.csv',
      'cancel',
    );
    expect(items).toEqual([
      { appointmentId: 'A1', action: 'cancel', to: undefined, reason: 'ill, sorry', line: 2 },
      { appointmentId: 'A2', action: 'cancel', to: undefined, reason: undefined, line: 3 },
    ]);
  });

  it('reads JSONL reschedule plans with timeslot ids, ISO times and next-available', () => {
    const text = [
      '{"appointmentId":"A","to":"ts_x"}',
      '',
      '{"appointmentId":"B","action":"reschedule","to":"2030-01-08T15:00:00Z"}',
      '{"appointmentId":"C","to":"next-available"}',
    ].join('\n');
    const items = parsePlan(text, 'plan.jsonl', 'reschedule');
    expect(items.map((i) => i.to)).toEqual(['ts_x', '2030-01-08T15:00:00Z', 'next-available']);
  });

  it('refuses bad plans with a usage error naming the line', () => {
    const bad = (text: string, file = 'p.csv', want: 'cancel' | 'reschedule' = 'cancel') => {
      try {
        parsePlan(text, file, want);
      } catch (e) {
        expect(e).toBeInstanceOf(CliError);
        expect((e as CliError).exitCode).toBe(2);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad('id\nA\n')).toMatch(/header/);
    expect(bad('appointmentId,action\nA,reschedule\n')).toMatch(
      /line 2: action "reschedule" in a bulk cancel plan/,
    );
    expect(bad('appointmentId\nA\nA\n')).toMatch(/line 3: .*twice/);
    expect(bad('appointmentId,to\nA,\n', 'p.csv', 'reschedule')).toMatch(/needs "to"/);
    expect(bad('appointmentId,to\nA,soon\n', 'p.csv', 'reschedule')).toMatch(/must be/);
    expect(bad('{"appointmentId":"A"}\nnot json\n', 'p.jsonl')).toMatch(/line 2: not JSON/);
    expect(bad('appointmentId\n')).toMatch(/no items/);
    expect(bad('appointmentId,action\n"A,cancel\n')).toMatch(/unterminated/);
    expect(bad(',cancel\n', 'p.jsonl')).toMatch(/not JSON/);
  });

  it('derives the same keys from the same plan, whatever its formatting', () => {
    const a = parsePlan('appointmentId,action\nA,cancel\nB,cancel\n', 'a.csv', 'cancel');
    const b = parsePlan(
      '{"appointmentId":"A"}\n{"appointmentId":"B","action":"cancel"}\n',
      'b.jsonl',
      'cancel',
    );
    expect(itemsHash('cancel', a)).toBe(itemsHash('cancel', b));
    const c = parsePlan('appointmentId,reason\nA,x\nB,\n', 'c.csv', 'cancel');
    expect(itemsHash('cancel', c)).not.toBe(itemsHash('cancel', a));
    expect(itemKey('h', 'A')).toBe('bulk:h:A');
  });
});
