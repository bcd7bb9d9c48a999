import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { type RealtimeEvent, type RealtimeFeed, TuiApiError, TuiOfflineError } from './data.js';
import { App } from './Shell.js';
import { AppUnderTest, appt, dayOfSlots, pressEsc, setup, until } from './testing.js';

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});
function mount(s: ReturnType<typeof setup>) {
  const r = render(<AppUnderTest {...s} />);
  cleanup = r.unmount;
  return r;
}
// 10:30 in New York on Wednesday 2030-01-09
const START = '2030-01-09T15:30:00Z';

describe('RescheduleScreen', () => {
  it('t → Enter → Enter moves to tomorrow at the same time with a countdown that ticks (3 keys)', async () => {
    const s = setup({ items: [appt({ start: START })] });
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('t');
    await until(
      r.lastFrame,
      'Selected: Thu 2030-01-10 10:30',
      'Enter holds the selected slot',
      'Confirm new time',
    );
    r.stdin.write('\r');
    await until(r.lastFrame, 'Reserved for 01:30', 'Confirm new time');
    s.clock.advance(1000);
    await until(r.lastFrame, 'Reserved for 01:29');
    s.clock.advance(1000);
    await until(r.lastFrame, 'Reserved for 01:28');
    r.stdin.write('\r');
    const f = await until(
      r.lastFrame,
      'Moved to Thu 2030-01-10 10:30',
      'Thu 2030-01-10 10:30',
      'rescheduled',
    );
    expect(f).toContain('Upcoming');
    const call = s.data.calls.find((c) => c.method === 'reschedule')!;
    expect(call.args[1]).toBe('r-ts_2030-01-10_3');
    expect(call.args[2]).toBe(1); // the version it saw, sent as If-Match
    expect(s.data.count('release')).toBe(0);
  });

  it('expired hold: shows Hold expired, Confirm is disabled and Enter holds again instead', async () => {
    const s = setup({ items: [appt({ start: START })] });
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('r');
    await until(r.lastFrame, 'Selected: Thu 2030-01-10 10:30');
    r.stdin.write('\r');
    await until(r.lastFrame, 'Reserved for 01:30');
    s.clock.advance(90_000);
    const f = await until(r.lastFrame, 'Hold expired', 'disabled');
    expect(f).not.toContain('Reserved for');
    r.stdin.write('\r');
    await until(r.lastFrame, 'Reserved for 01:30');
    expect(s.data.count('reschedule')).toBe(0);
    expect(s.data.count('hold')).toBe(2);
  });

  it('conflict: a slot taken meanwhile shows the nearest alternatives with time and price differences', async () => {
    const s = setup({ items: [appt({ start: START })] });
    s.data.fail.hold = new TuiApiError(409, 'slot_taken', 'Timeslot taken', [
      {
        timeslotId: 'ts_2030-01-10_4',
        start: '2030-01-10T16:00:00Z',
        end: '2030-01-10T16:30:00Z',
        deltaMinutes: 1470,
        priceDeltaCents: 0,
      },
      {
        timeslotId: 'ts_2030-01-10_1',
        start: '2030-01-10T14:30:00Z',
        end: '2030-01-10T15:00:00Z',
        deltaMinutes: 1380,
        priceDeltaCents: 1000,
      },
    ]);
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('t');
    await until(r.lastFrame, 'Selected: Thu 2030-01-10 10:30');
    r.stdin.write('\r');
    const f = await until(r.lastFrame, 'Conflict: slot_taken', 'Nearest alternatives');
    expect(f).toMatch(/Thu 2030-01-10 11:00 \+30 min · same price/);
    expect(f).toMatch(/Thu 2030-01-10 09:30 -1 h · \+10\.00 USD/);
    // the panel sits where the grid was, not on the last line
    expect(f.split('\n').findIndex((l) => l.includes('Conflict: slot_taken'))).toBeLessThan(6);
    delete s.data.fail.hold;
    r.stdin.write('\r');
    // the taken slot greys out (and is marked ×); the chosen alternative is held
    await until(r.lastFrame, 'Reserved for 01:30', '10:30×', '11:00*');
    const held = s.data.calls.filter((c) => c.method === 'hold').pop()!;
    expect((held.args[0] as { timeslotId: string }).timeslotId).toBe('ts_2030-01-10_4');
  });

  it('confirm fails with reservation_expired: rolled back with a message and the conflict modal', async () => {
    const s = setup({ items: [appt({ start: START })] });
    s.data.fail.reschedule = new TuiApiError(409, 'reservation_expired', 'Reservation expired', []);
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('t');
    await until(r.lastFrame, 'Selected: Thu 2030-01-10 10:30');
    r.stdin.write('\r');
    await until(r.lastFrame, 'Reserved for');
    r.stdin.write('\r');
    await until(r.lastFrame, 'Not moved (rolled back): reservation_expired', 'Conflict: reservation_expired');
    await pressEsc(r.stdin);
    await pressEsc(r.stdin);
    const f = await until(r.lastFrame, 'Upcoming', 'Wed 2030-01-09 10:30');
    expect(f).toContain('confirmed');
  });

  it('leaving the screen releases the hold', async () => {
    const s = setup({ items: [appt({ start: START })] });
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('t');
    await until(r.lastFrame, 'Selected:');
    r.stdin.write('\r');
    await until(r.lastFrame, 'Reserved for');
    await pressEsc(r.stdin);
    await until(r.lastFrame, 'Upcoming');
    expect(s.data.calls.find((c) => c.method === 'release')?.args[0]).toBe('r-ts_2030-01-10_3');
  });

  it('date chips and the grid: ←/→ change day, ↓ moves the slot, taken slots are skipped by the preselect', async () => {
    const s = setup({ items: [appt({ start: START })] });
    s.data.taken = ['15:30'];
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('t');
    await until(r.lastFrame, 'Selected: Thu 2030-01-10 10:00', 'Thu 10', 'Fri 11');
    r.stdin.write('l');
    await until(r.lastFrame, 'Selected: Fri 2030-01-11 10:00');
    r.stdin.write('j');
    await until(r.lastFrame, 'Selected: Fri 2030-01-11 10:30 (taken)');
    r.stdin.write('\r');
    await until(r.lastFrame, 'That slot is taken');
    expect(s.data.count('hold')).toBe(0);
  });

  it('realtime: a slot taken by someone else greys out while you look', async () => {
    const s = setup({ items: [appt({ start: START })] });
    let emit: (e: RealtimeEvent) => void = () => {};
    const feed: RealtimeFeed = {
      start(_sub, onEvent, onState) {
        emit = onEvent;
        onState('connected');
        return () => {};
      },
    };
    const r = render(
      <App data={s.data} store={s.store} clock={s.clock} size={s.size} realtime={feed} pollMs={3_600_000} />,
    );
    cleanup = r.unmount;
    await until(r.lastFrame, 'Wed 2030-01-09 10:30', 'realtime connected');
    r.stdin.write('t');
    await until(r.lastFrame, 'Selected: Thu 2030-01-10 10:30');
    r.stdin.write('jk'); // the user's own choice stays put when the slot is taken
    await until(r.lastFrame, 'Selected: Thu 2030-01-10 10:30');
    const slot = dayOfSlots('2030-01-10').timeslots[3]!;
    emit({
      type: 'timeslot',
      providerId: 'p1',
      serviceId: 's1',
      date: '2030-01-10',
      timeslotId: slot.id,
      status: 'reserved',
    });
    await until(r.lastFrame, 'Selected: Thu 2030-01-10 10:30 (taken)', '10:30×');
  });

  it('offline: timeslots from the snapshot, and the move is queued, never shown as done', async () => {
    const s = setup({ items: [appt({ start: START })] });
    s.store.setSnapshot(
      'availability:p1:s1:2030-01-10',
      dayOfSlots('2030-01-10'),
      '2030-01-07T11:30:00.000Z',
    );
    s.data.fail.availability = new TuiOfflineError();
    s.data.fail.hold = new TuiOfflineError();
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    // the whole server is away now, not just availability: a refetch must not look online
    for (const m of ['me', 'list', 'detail', 'quote', 'alternatives'] as const)
      s.data.fail[m] = new TuiOfflineError();
    r.stdin.write('t');
    await until(r.lastFrame, 'offline — as of', 'Selected: Thu 2030-01-10 10:30');
    r.stdin.write('\r');
    const f = await until(
      r.lastFrame,
      'queued move',
      'queue 1',
      '● offline',
      'not done until the server confirms',
    );
    expect(f).not.toContain('Moved to');
    expect(s.store.queue()[0]).toMatchObject({
      kind: 'reschedule',
      appointmentId: s.data.items[0]!.id,
      version: 1,
      reschedule: { timeslotId: 'ts_2030-01-10_3' },
    });
  });
});
