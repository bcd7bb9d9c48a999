import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { type RealtimeEvent, type RealtimeFeed, TuiApiError } from './data.js';
import { App } from './Shell.js';
import { appt, pressEsc, setup, T0, until } from './testing.js';

// Issue 13's front desk: the selection follows the id, fresh data where a decision is
// made, the grid offers what the server offers, staff keys, search.
let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

function withFeed(s: ReturnType<typeof setup>) {
  let emit: (e: RealtimeEvent) => void = () => {};
  const subs: { userId?: string; userIds?: string[]; providerIds: string[] }[] = [];
  const feed: RealtimeFeed = {
    start(sub, onEvent, onState) {
      subs.push(sub);
      emit = onEvent;
      onState('connected');
      return () => {};
    },
  };
  const r = render(
    <App data={s.data} store={s.store} clock={s.clock} size={s.size} realtime={feed} pollMs={3_600_000} />,
  );
  cleanup = r.unmount;
  return { r, emit: (e: RealtimeEvent) => emit(e), subs };
}
const slotEvent: RealtimeEvent = { type: 'timeslot', providerId: 'p1', timeslotId: 'x', status: 'booked' };
const selectedLine = (f: string) => f.split('\n').find((l) => l.startsWith('›')) ?? '';
const staffMe = { tokenId: 't', name: 'demo front desk', role: 'staff' as const };

describe('selection follows the appointment id', () => {
  it('an outside change that reorders the list keeps the cursor on the same appointment', async () => {
    const a = appt({ serviceTitle: 'Svc A', start: '2030-01-09T14:00:00Z' });
    const b = appt({ serviceTitle: 'Svc B', start: '2030-01-09T15:00:00Z' });
    const c = appt({ serviceTitle: 'Svc C', start: '2030-01-09T16:00:00Z' });
    const s = setup({ items: [a, b, c] });
    const { r, emit } = withFeed(s);
    await until(r.lastFrame, 'Svc A');
    r.stdin.write('j');
    await until(r.lastFrame, (f) => selectedLine(f).includes('Svc B'));
    // another desk moves Cy before Ada: the rows shift, the cursor does not
    s.data.items = [{ ...c, start: '2030-01-09T13:00:00Z' }, a, b];
    emit(slotEvent);
    const f = await until(r.lastFrame, (x) => x.indexOf('Svc C') < x.indexOf('Svc A'));
    expect(selectedLine(f)).toContain('Svc B');
    expect(f).toContain('3/3');
  });

  it('when the selected appointment leaves the view, it says so and nothing is selected until a move', async () => {
    const a = appt({ serviceTitle: 'Svc A', start: '2030-01-09T14:00:00Z' });
    const b = appt({ serviceTitle: 'Svc B', start: '2030-01-09T15:00:00Z' });
    const c = appt({ serviceTitle: 'Svc C', start: '2030-01-09T16:00:00Z' });
    const s = setup({ items: [a, b, c] });
    const { r, emit } = withFeed(s);
    await until(r.lastFrame, 'Svc A');
    r.stdin.write('j');
    await until(r.lastFrame, (f) => selectedLine(f).includes('Svc B'));
    // cancelled elsewhere: it leaves the Upcoming tab
    s.data.items = [a, { ...b, status: 'cancelled' }, c];
    emit(slotEvent);
    const f = await until(r.lastFrame, 'The selected appointment left this view: Svc B');
    expect(selectedLine(f)).toBe('');
    expect(f).toContain('–/2');
    // no destructive key acts on a row the user did not select
    r.stdin.write('c');
    await until(r.lastFrame, 'Nothing selected');
    r.stdin.write('t');
    expect(r.lastFrame()).not.toContain('No, keep');
    expect(r.lastFrame()).not.toContain('Reschedule ·');
    expect(s.data.count('quote')).toBe(0);
    // j selects the row now in its place
    r.stdin.write('j');
    const g = await until(r.lastFrame, (x) => selectedLine(x).includes('Svc C'));
    expect(g).not.toContain('The selected appointment');
  });

  it('G / End go to the last row, g / Home to the first; the highlight covers the whole row', async () => {
    const items = Array.from({ length: 5 }, (_, i) =>
      appt({ userName: `Cust ${i}`, start: new Date(T0 + (i + 2) * 3600_000).toISOString() }),
    );
    const s = setup({ items, size: { columns: 80, rows: 24 } });
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('G');
    await until(r.lastFrame, '5/5');
    r.stdin.write('g');
    await until(r.lastFrame, '1/5');
    r.stdin.write('\x1b[F'); // End
    await until(r.lastFrame, '5/5');
    r.stdin.write('\x1b[H'); // Home
    await until(r.lastFrame, '1/5');
    // column headers on the list
    // column headers on the list; one zone: named once in the header
    expect(r.lastFrame()).toMatch(/When \(local\).*Provider.*Service.*Status.*Price/);
    expect(r.lastFrame()).toContain('times in America/New_York');
  });

  it('a list mixing zones gives each row its zone', async () => {
    const ny = appt({ start: '2030-01-09T15:30:00Z' });
    const akl = appt({ start: '2030-01-09T21:00:00Z', timezone: 'Pacific/Auckland', providerName: 'Kauri' });
    const s = setup({ items: [ny, akl], size: { columns: 80, rows: 24 } });
    const { r } = withFeed(s);
    const f = await until(r.lastFrame, 'Kauri');
    expect(f).toContain('When (local)');
    expect(f).toMatch(/Wed 09 Jan 10:30 EST/);
    expect(f).toMatch(/Thu 10 Jan 10:00 (NZDT|GMT\+13)/);
    for (const l of f.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
  });
});

describe('fresh data where a decision is made', () => {
  it('a cancel by another desk patches the open detail and names who did it', async () => {
    const a = appt({ start: '2030-01-09T15:30:00Z' });
    const s = setup({ items: [a] });
    s.data.meValue = staffMe;
    const { r, emit, subs } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('\r');
    await until(r.lastFrame, 'Cleaning with Dr. Rivera', 'confirmed · v1');
    // staff follow the open appointment's customer channel as well
    await until(() => (subs.some((x) => x.userIds?.includes('u1')) ? 'yes' : ''), 'yes');
    s.data.items = [{ ...a, status: 'cancelled', version: 2 }];
    s.data.extraAudit = [
      {
        ...cancelledEntry(a.id),
        actor: { id: 'tok_desk2', type: 'staff', name: 'second desk', role: 'staff' },
      },
    ];
    emit(slotEvent);
    const f = await until(r.lastFrame, 'cancelled · v2', 'Already cancelled by second desk, staff at ');
    expect(f).toContain('cancelled by second desk, staff via tui');
    // the cancel modal is not offered any more
    r.stdin.write('c');
    await until(r.lastFrame, 'This appointment is cancelled; only active ones can be cancelled');
    expect(r.lastFrame()).not.toContain('No, keep');
  });

  it('a 412 on cancel refreshes and says in words what happened, not the raw code', async () => {
    const a = appt({ start: '2030-01-09T15:30:00Z' });
    const s = setup({ items: [a] });
    s.data.meValue = staffMe;
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('c');
    await until(r.lastFrame, 'Fee: 25.00 USD');
    // someone else cancels between the quote and the key press
    s.data.cancel = async () => {
      s.data.items = [{ ...a, status: 'cancelled', version: 2 }];
      s.data.extraAudit = [cancelledEntry(a.id)];
      throw new TuiApiError(412, 'version_mismatch', 'If-Match "1" does not match "2"');
    };
    r.stdin.write('y');
    const f = await until(r.lastFrame, 'Not cancelled: Already cancelled by demo front desk, staff at ');
    expect(f).not.toContain('version_mismatch');
    expect(f).not.toContain('If-M');
  });

  it('the cancel modal is not offered for an appointment that has started', async () => {
    const a = appt({ start: new Date(T0 - 10 * 60_000).toISOString() });
    const s = setup({ items: [a] });
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('c');
    await until(r.lastFrame, 'This appointment has started; it can no longer be cancelled');
    expect(r.lastFrame()).not.toContain('No, keep');
    r.stdin.write('t');
    await until(r.lastFrame, 'it can no longer be moved');
  });
});

describe('reschedule offers what the server offers', () => {
  it('the appointment’s own time is free for itself: n preselects a slot overlapping it and Enter holds', async () => {
    // 10:00–11:00 in New York; availability shows 10:00 and 10:30 booked (by itself)
    const a = appt({ start: '2030-01-09T15:00:00Z', end: '2030-01-09T16:00:00Z' });
    const s = setup({ items: [a] });
    s.data.nextAlternatives = [
      {
        timeslotId: 'ts_2030-01-09_3',
        start: '2030-01-09T15:30:00Z',
        end: '2030-01-09T16:00:00Z',
        deltaMinutes: 30,
        priceDeltaCents: 0,
      },
    ];
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('n');
    const f = await until(
      r.lastFrame,
      'Selected: Wed 2030-01-09 10:30 · +30 min',
      'Next available after now',
    );
    expect(f).not.toContain('(taken)');
    expect(f).toContain('10:00•');
    r.stdin.write('\r');
    await until(r.lastFrame, 'Reserved for 01:30');
    const held = s.data.calls.find((c) => c.method === 'hold')!;
    expect((held.args[0] as { timeslotId: string }).timeslotId).toBe('ts_2030-01-09_3');
  });

  it('n that lands earlier says it moves the appointment earlier', async () => {
    const a = appt({ start: '2030-01-09T15:00:00Z' });
    const s = setup({ items: [a] });
    s.data.nextAlternatives = [
      {
        timeslotId: 'ts_2030-01-08_0',
        start: '2030-01-08T14:00:00Z',
        end: '2030-01-08T14:30:00Z',
        deltaMinutes: -1500,
        priceDeltaCents: 0,
      },
    ];
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('n');
    await until(r.lastFrame, 'this moves it earlier', 'Selected: Tue 2030-01-08 09:00 · -1 d 1 h (earlier)');
  });

  it('a taken slot is never preselected; its own current time is not offered as a move', async () => {
    const a = appt({ start: '2030-01-09T15:30:00Z' });
    const s = setup({ items: [a] });
    s.data.taken = ['15:30']; // tomorrow's 10:30 is someone else's
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('t');
    const f = await until(r.lastFrame, 'Selected: Thu 2030-01-10 10:00');
    expect(f).toContain('10:30×');
    // back to its own day: its own slot is marked and refused as a target
    r.stdin.write('h');
    await until(r.lastFrame, 'Selected: Wed 2030-01-09 10:00');
    r.stdin.write('j');
    await until(r.lastFrame, 'Selected: Wed 2030-01-09 10:30 (its current time)');
    r.stdin.write('\r');
    await until(r.lastFrame, 'That is its current time');
    expect(s.data.count('hold')).toBe(0);
  });

  it('a move into the fee window says so before confirming', async () => {
    const a = appt({ start: '2030-01-09T15:30:00Z' });
    const s = setup({ items: [a] });
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('p');
    await until(r.lastFrame, 'Pick date');
    r.stdin.write('today\r');
    const f = await until(
      r.lastFrame,
      'Selected: Mon 2030-01-07 10:30',
      'inside the 24 h free-cancellation window: a later cancel costs 25.00 USD',
    );
    expect(f).toContain('Confirm new time');
  });
});

describe('staff keys on the detail', () => {
  it('a confirms an appointment waiting for approval after y; needs attention shows and ! clears it', async () => {
    const a = appt({
      start: '2030-01-09T15:30:00Z',
      status: 'upcoming',
      needsAttention: true,
      attentionReason: 'calendar busy block',
    });
    const s = setup({ items: [a] });
    s.data.meValue = staffMe;
    const { r } = withFeed(s);
    const list = await until(r.lastFrame, 'upcoming !');
    expect(list).toContain('upcoming !');
    r.stdin.write('\r');
    await until(
      r.lastFrame,
      'Needs attention: calendar busy block (! clears)',
      'a confirm · ! clear attention',
    );
    r.stdin.write('a');
    await until(r.lastFrame, 'Confirm this appointment? y = yes');
    r.stdin.write('n');
    await until(r.lastFrame, (f) => !f.includes('y = yes'));
    expect(s.data.count('staffAction')).toBe(0);
    r.stdin.write('a');
    await until(r.lastFrame, 'Confirm this appointment?');
    r.stdin.write('y');
    await until(r.lastFrame, 'Confirmed: Cleaning · Ada Lovelace', 'confirmed · v2');
    expect(s.data.calls.find((c) => c.method === 'staffAction')?.args[1]).toBe('confirm');
    r.stdin.write('!');
    await until(r.lastFrame, 'Attention cleared');
    await until(r.lastFrame, (f) => !f.includes('Needs attention'));
  });

  it('complete and no-show once started; refused before, with the reason', async () => {
    const a = appt({ start: new Date(T0 - 5 * 60_000).toISOString() });
    const later = appt({ start: '2030-01-09T15:30:00Z' });
    const s = setup({ items: [a, later] });
    s.data.meValue = staffMe;
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('\r');
    await until(r.lastFrame, 'started', 'x complete · o no-show');
    r.stdin.write('o');
    await until(r.lastFrame, 'Mark it no-show? y = yes');
    r.stdin.write('y');
    await until(r.lastFrame, 'Marked no-show', 'no-show · v2');
    await pressEsc(r.stdin);
    await until(r.lastFrame, 'Upcoming', (f) => !f.includes('Audit'));
    r.stdin.write('j');
    await until(r.lastFrame, '2/2');
    r.stdin.write('\r');
    await until(r.lastFrame, 'Cleaning with Dr. Rivera', 'confirmed · v1');
    r.stdin.write('x');
    await until(r.lastFrame, 'Only an appointment that has started can be marked completed');
  });

  it('a customer token gets no staff actions', async () => {
    const s = setup({ items: [appt({ start: '2030-01-09T15:30:00Z' })] });
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('\r');
    const f = await until(r.lastFrame, 'Cleaning with Dr. Rivera');
    expect(f).not.toContain('x complete');
    r.stdin.write('x');
    await until(r.lastFrame, 'staff actions need a staff token');
  });

  it('the detail shows the whole audit with actors in words and every notification, scrollable', async () => {
    const a = appt({ start: '2030-01-09T15:30:00Z' });
    const s = setup({ items: [a], size: { columns: 80, rows: 24 } });
    s.data.meValue = staffMe;
    s.data.extraAudit = Array.from({ length: 20 }, (_, i) => ({
      ...cancelledEntry(a.id),
      id: `x${i}`,
      action: 'rescheduled',
      reason: `move ${i}`,
      actor: { id: 'u1', type: 'user', name: 'Ada Lovelace', role: 'user' },
    }));
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('\r');
    const f = await until(
      r.lastFrame,
      'Audit (21) · times in America/New_York',
      'created by front desk, staff via cli',
    );
    expect(f).toContain('by Ada Lovelace via tui');
    expect(f).toContain('“move 0”');
    expect(f).not.toContain('Notifications (1)');
    r.stdin.write('G');
    const g = await until(r.lastFrame, 'Notifications (1)', 'email confirmed to ada@example.com: sent');
    expect(g).toContain('“move 19”');
    for (const l of g.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
  });
});

describe('search', () => {
  const people = () => [
    appt({ userName: 'Frances Torvalds', start: new Date(T0 - 86_400_000).toISOString() }),
    appt({ userName: 'Frances Torvalds', start: new Date(T0 + 2 * 86_400_000).toISOString() }),
    appt({ userName: 'Frances Knuth', start: new Date(T0 + 86_400_000).toISOString() }),
    appt({ userName: 'Linus Torvalds', start: new Date(T0 + 86_400_000).toISOString() }),
  ];

  it('fran torv finds the customer, upcoming first with the cursor on the next one; Esc leaves', async () => {
    const s = setup({ items: people() });
    s.data.meValue = staffMe;
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Day Mon 2030-01-07');
    r.stdin.write('/');
    await until(r.lastFrame, 'Search customer or provider:   Enter');
    r.stdin.write('fran torv');
    await until(r.lastFrame, 'Search customer or provider: fran torv');
    r.stdin.write('\r');
    const f = await until(r.lastFrame, 'search “fran torv”', '1/2');
    expect(f).not.toContain('Frances Knuth');
    expect(f).not.toContain('Linus');
    expect(selectedLine(f)).toContain('Wed 2030-01-09');
    // the server was asked for one word; the TUI matched both
    expect(s.data.calls.some((c) => (c.args[0] as { q?: string })?.q === 'fran')).toBe(true);
    // a new search starts empty
    r.stdin.write('/');
    await until(r.lastFrame, 'Search customer or provider:   Enter');
    await pressEsc(r.stdin);
    await until(r.lastFrame, (x) => !x.includes('Search customer'));
    await pressEsc(r.stdin);
    await until(r.lastFrame, 'Day Mon 2030-01-07 in');
  });

  it('a burst of Backspaces deletes as many characters; Ctrl-U clears', async () => {
    const s = setup({ items: people() });
    s.data.meValue = staffMe;
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Day Mon 2030-01-07');
    r.stdin.write('/');
    await until(r.lastFrame, 'Search customer or provider:');
    r.stdin.write('linusxyz');
    await until(r.lastFrame, 'provider: linusxyz');
    r.stdin.write('\x7f\x7f\x7f');
    await until(r.lastFrame, 'provider: linus ');
    r.stdin.write('\x15');
    await until(r.lastFrame, 'Search customer or provider:   Enter');
    r.stdin.write('lin\r');
    const f = await until(r.lastFrame, 'search “lin”', '1/1');
    expect(f).toContain('Linus Torvalds');
  });
});

function cancelledEntry(appointmentId: string) {
  return {
    id: 'e2',
    seq: 2,
    appointmentId,
    action: 'cancelled',
    outcome: 'applied' as const,
    actor: { id: 'tok_desk', type: 'staff', name: 'demo front desk', role: 'staff' },
    channel: 'tui',
    timestamp: new Date(T0 - 60_000).toISOString(),
    requestId: null,
    idempotencyKey: null,
    errorCode: null,
    reason: null,
    previousSlot: null,
    newSlot: null,
    feeCents: null,
    prevHash: '1',
    hash: '2',
  };
}

describe('error paths and polish', () => {
  it('a staff action the server refuses says why and refreshes the detail', async () => {
    const a = appt({ start: '2030-01-09T15:30:00Z', status: 'upcoming' });
    const s = setup({ items: [a] });
    s.data.meValue = staffMe;
    s.data.fail.staffAction = new TuiApiError(
      409,
      'appointment_started',
      'the appointment has already started',
    );
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('\r');
    await until(r.lastFrame, 'Staff: a confirm');
    const before = s.data.count('detail');
    r.stdin.write('a');
    await until(r.lastFrame, 'Confirm this appointment?');
    r.stdin.write('y');
    await until(r.lastFrame, 'Could not confirm: the appointment has already started');
    await until(() => (s.data.count('detail') > before ? 'again' : ''), 'again');
  });

  it('a 412 on confirming a move refreshes and says who moved it, instead of the raw code', async () => {
    const a = appt({ start: '2030-01-09T15:30:00Z' });
    const s = setup({ items: [a] });
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('t');
    await until(r.lastFrame, 'Selected: Thu 2030-01-10 10:30');
    r.stdin.write('\r');
    await until(r.lastFrame, 'Reserved for');
    s.data.reschedule = async () => {
      s.data.items = [{ ...a, status: 'cancelled', version: 2 }];
      s.data.extraAudit = [cancelledEntry(a.id)];
      throw new TuiApiError(412, 'version_mismatch', 'If-Match "1" does not match "2"');
    };
    r.stdin.write('\r');
    const f = await until(
      r.lastFrame,
      'Not moved: Already cancelled by demo front desk, staff at',
      'Upcoming',
    );
    expect(f).not.toContain('version_mismatch');
    // the hold it no longer needs is released
    await until(() => (s.data.count('release') > 0 ? 'released' : ''), 'released');
  });

  it('Enter pressed before the server says which slots are free waits for it instead of being dropped', async () => {
    const a = appt({ start: '2030-01-09T15:30:00Z' });
    const s = setup({ items: [a] });
    let open: () => void = () => {};
    const gate = new Promise<void>((res) => (open = res));
    const real = s.data.alternatives.bind(s.data);
    s.data.alternatives = async (id, kind, date) => {
      await gate;
      return real(id, kind, date);
    };
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('t');
    await until(r.lastFrame, 'Selected: Thu 2030-01-10 10:30');
    r.stdin.write('\r');
    await until(r.lastFrame, 'Holding…');
    expect(s.data.count('hold')).toBe(0);
    open();
    await until(r.lastFrame, 'Reserved for 01:30');
    expect(s.data.count('hold')).toBe(1);
  });

  it('toasts fade on the clock', async () => {
    const s = setup({ items: [appt({ start: '2030-01-09T15:30:00Z', status: 'cancelled' })] });
    s.data.meValue = staffMe;
    const { r } = withFeed(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('c');
    await until(r.lastFrame, 'only active ones can be cancelled');
    s.clock.advance(5000);
    expect(r.lastFrame()).toContain('only active ones can be cancelled');
    s.clock.advance(8000);
    await until(r.lastFrame, (f) => !f.includes('only active ones can be cancelled'));
  });
});
