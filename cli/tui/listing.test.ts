import { describe, expect, it } from 'vitest';
import { groupByProvider, matchesSearch, orderSearch, parsePickDate, serverTerm } from './listing.js';
import { appt, T0 } from './testing.js';
import { actorWords, describeChange, feeWindowWarning, statusWord } from './words.js';

describe('day view grouping', () => {
  it('groups by provider, sorts by local start inside a group, names the zone in the header', () => {
    const ny1 = appt({ providerId: 'p1', providerName: 'Dr. Rivera', start: '2030-01-08T16:00:00Z' });
    const ny0 = appt({ providerId: 'p1', providerName: 'Dr. Rivera', start: '2030-01-08T14:00:00Z' });
    const akl = appt({
      providerId: 'p2',
      providerName: 'Kauri Hair',
      timezone: 'Pacific/Auckland',
      start: '2030-01-07T22:00:00Z', // Tue 08 Jan 11:00 in Auckland
    });
    const { lines, order } = groupByProvider([ny1, akl, ny0]);
    expect(order.map((a) => a.id)).toEqual([ny0.id, ny1.id, akl.id]);
    expect(lines.map((l) => (l.kind === 'group' ? l.text : l.a.id))).toEqual([
      expect.stringMatching(/^Dr\. Rivera · America\/New_York \(.+\) · Tue 08 Jan · 2$/),
      ny0.id,
      ny1.id,
      expect.stringMatching(/^Kauri Hair · Pacific\/Auckland \(.+\) · Tue 08 Jan · 1$/),
      akl.id,
    ]);
  });
});

describe('search', () => {
  const fran = appt({
    userName: 'Frances Torvalds',
    providerName: 'Berlin Vision',
    serviceTitle: 'Eye exam',
  });
  it('several words match as prefixes in any order', () => {
    expect(matchesSearch(fran, 'fran torv')).toBe(true);
    expect(matchesSearch(fran, 'torv fran')).toBe(true);
    expect(matchesSearch(fran, 'FRAN')).toBe(true);
    expect(matchesSearch(fran, 'fran knuth')).toBe(false);
    expect(matchesSearch(fran, 'ances')).toBe(false);
    expect(matchesSearch(fran, 'berlin eye')).toBe(true);
  });
  it('asks the server for the longest word', () => {
    expect(serverTerm(' fran torvalds ')).toBe('torvalds');
  });
  it('puts upcoming first, soonest first, then the rest newest first', () => {
    const past = appt({ start: new Date(T0 - 86_400_000).toISOString() });
    const older = appt({ start: new Date(T0 - 2 * 86_400_000).toISOString() });
    const later = appt({ start: new Date(T0 + 2 * 86_400_000).toISOString() });
    const next = appt({ start: new Date(T0 + 86_400_000).toISOString() });
    const cancelled = appt({ start: new Date(T0 + 3600_000).toISOString(), status: 'cancelled' });
    expect(orderSearch([older, later, past, cancelled, next], T0).map((a) => a.id)).toEqual([
      next.id,
      later.id,
      cancelled.id,
      past.id,
      older.id,
    ]);
  });
});

describe('pick date', () => {
  // Monday 2030-01-07, 12:00 UTC
  const z = 'America/New_York';
  it('reads today, tomorrow, +N, MM-DD, YYYY-MM-DD and weekday names', () => {
    expect(parsePickDate('today', T0, z)).toEqual({ ok: true, date: '2030-01-07', past: false });
    expect(parsePickDate('Tomorrow', T0, z)).toMatchObject({ date: '2030-01-08' });
    expect(parsePickDate('+3', T0, z)).toMatchObject({ date: '2030-01-10' });
    expect(parsePickDate('01-20', T0, z)).toMatchObject({ date: '2030-01-20', past: false });
    expect(parsePickDate('1-2', T0, z)).toMatchObject({ date: '2031-01-02', past: false });
    expect(parsePickDate('2030-02-01', T0, z)).toMatchObject({ date: '2030-02-01' });
    expect(parsePickDate('fri', T0, z)).toMatchObject({ date: '2030-01-11' });
    expect(parsePickDate('monday', T0, z)).toMatchObject({ date: '2030-01-14' });
  });
  it('says when a day is past, and refuses what is not a day', () => {
    expect(parsePickDate('2030-01-01', T0, z)).toEqual({ ok: true, date: '2030-01-01', past: true });
    expect(parsePickDate('-1', T0, z)).toMatchObject({ past: true });
    expect(parsePickDate('2030-13-01', T0, z)).toMatchObject({ ok: false });
    expect(parsePickDate('soon', T0, z)).toMatchObject({ ok: false, error: expect.stringContaining('soon') });
    expect(parsePickDate('', T0, z)).toMatchObject({ ok: false });
  });
});

describe('words', () => {
  it('names the actor: token name and role for staff, the customer’s name, the id as a fallback', () => {
    expect(actorWords({ id: 't1', type: 'staff', name: 'demo front desk', role: 'staff' })).toBe(
      'demo front desk, staff',
    );
    expect(actorWords({ id: 'u1', type: 'user', name: 'Ada Lovelace', role: 'user' })).toBe('Ada Lovelace');
    expect(actorWords({ id: 'system', type: 'system' })).toBe('system');
    expect(actorWords({ id: 'tok_9', type: 'staff' })).toBe('tok_9 (staff)');
    expect(statusWord('no_show')).toBe('no-show');
  });
  it('says what happened and who did it', () => {
    const a = appt({ status: 'cancelled', timezone: 'Pacific/Auckland' });
    const d = {
      ...a,
      reschedulePolicy: { minNoticeMinutes: 0, text: '' },
      notifications: [],
      audit: [
        {
          id: 'e9',
          seq: 2,
          appointmentId: a.id,
          action: 'cancelled',
          outcome: 'applied' as const,
          actor: { id: 't1', type: 'staff', name: 'demo front desk', role: 'staff' },
          channel: 'tui',
          timestamp: '2030-01-06T21:52:00Z', // 10:52 in Auckland
          requestId: null,
          idempotencyKey: null,
          errorCode: null,
          reason: null,
          previousSlot: null,
          newSlot: null,
          feeCents: null,
          prevHash: '',
          hash: '',
        },
      ],
    };
    expect(describeChange(d, 1)).toMatch(/^Already cancelled by demo front desk, staff at 10:52 \S+$/);
  });
  it('warns before a move into the fee window, and not outside it', () => {
    const a = appt({ currency: 'NZD' });
    a.cancellationPolicy = { ...a.cancellationPolicy, feeCents: 2000, freeUntilHoursBefore: 24 };
    expect(feeWindowWarning(a, new Date(T0 + 3 * 3600_000).toISOString(), T0)).toBe(
      'inside the 24 h free-cancellation window: a later cancel costs 20.00 NZD',
    );
    expect(feeWindowWarning(a, new Date(T0 + 30 * 3600_000).toISOString(), T0)).toBeNull();
    a.cancellationPolicy.feeCents = 0;
    expect(feeWindowWarning(a, new Date(T0 + 3600_000).toISOString(), T0)).toBeNull();
  });
});
