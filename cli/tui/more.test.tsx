import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { bufferIO } from '../io.js';
import { run } from '../main.js';
import { type RealtimeEvent, type RealtimeFeed, TuiApiError, TuiOfflineError } from './data.js';
import { App } from './Shell.js';
import { AppUnderTest, appt, setup, until } from './testing.js';

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
const START = '2030-01-09T15:30:00Z';

describe('quick alternatives and error paths', () => {
  it('n opens the reschedule screen on the next available slot', async () => {
    const s = setup({ items: [appt({ start: START })] });
    s.data.alternatives = async (id, kind) => {
      s.data.calls.push({ method: 'alternatives', args: [id, kind] });
      return {
        timezone: 'America/New_York',
        items: [
          {
            timeslotId: 'ts_2030-01-12_2',
            start: '2030-01-12T15:00:00Z',
            end: '2030-01-12T15:30:00Z',
            deltaMinutes: 4290,
            priceDeltaCents: 0,
          },
        ],
      };
    };
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('n');
    await until(r.lastFrame, 'Selected: Sat 2030-01-12 10:00');
    expect(s.data.calls.find((c) => c.method === 'alternatives')?.args[1]).toBe('next');
  });

  it('n with nothing free says so', async () => {
    const s = setup({ items: [appt({ start: START })] });
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('n');
    await until(r.lastFrame, 'No free slot ahead');
  });

  it('p asks for a date and opens that day at the same time; a bad date is refused', async () => {
    const s = setup({ items: [appt({ start: START })] });
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('p');
    await until(r.lastFrame, 'Pick date (today, +3, fri, 12-24):');
    // a bad entry keeps the prompt open and says why; Ctrl-U clears it
    r.stdin.write('2030-13-01\r');
    await until(r.lastFrame, 'Not a date: “2030-13-01”', 'Pick date (today, +3, fri, 12-24): 2030-13-01');
    r.stdin.write('\x15');
    await until(r.lastFrame, (f) => f.includes('Pick date (today, +3, fri, 12-24):   Enter'));
    r.stdin.write('2030-01-02\r');
    await until(r.lastFrame, '2030-01-02 is in the past');
    r.stdin.write('\x7f'.repeat(10));
    await until(r.lastFrame, (f) => f.includes('Pick date (today, +3, fri, 12-24):   Enter'));
    r.stdin.write('2030-01-15\r');
    await until(r.lastFrame, 'Selected: Tue 2030-01-15 10:30');
  });

  it('detail: t, n, p work from the detail screen too; a failed detail shows the reason', async () => {
    const s = setup({ items: [appt({ start: START })] });
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('\r');
    await until(r.lastFrame, 'Tomorrow · n Next available');
    r.stdin.write('t');
    await until(r.lastFrame, 'Selected: Thu 2030-01-10 10:30');
  });

  it('a failed detail load shows the server’s reason with the list fallback kept', async () => {
    const s = setup({ items: [appt({ start: START })] });
    s.data.fail.detail = new TuiApiError(404, 'not_found', 'appointment not found');
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('\r');
    // the row it came from still shows, with the reason the details are missing
    await until(
      r.lastFrame,
      'Cleaning with Dr. Rivera',
      'Could not load the details: not_found: appointment not found',
    );
  });

  it('a refused token: the app says it cannot start', async () => {
    const s = setup();
    s.data.fail.me = new TuiApiError(401, 'unauthorized', 'Authentication required');
    const r = mount(s);
    await until(r.lastFrame, 'appt tui: cannot start: unauthorized: Authentication required');
  });

  it('moving a cancelled appointment is refused with a reason', async () => {
    const s = setup({ items: [appt({ start: START, status: 'cancelled' })] });
    s.data.meValue = { tokenId: 't', name: 'Desk', role: 'staff' };
    const r = mount(s);
    await until(r.lastFrame, 'cancelled');
    r.stdin.write('t');
    await until(r.lastFrame, 'This appointment is cancelled; only active ones can be moved');
  });

  it('realtime: a booking changed elsewhere updates the row in place without a key press', async () => {
    const a = appt({ start: START });
    const s = setup({ items: [a] });
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
    const moved = {
      ...a,
      start: '2030-01-11T19:00:00Z',
      end: '2030-01-11T19:30:00Z',
      status: 'rescheduled' as const,
    };
    s.data.items[0] = moved;
    emit({ type: 'booking', event: 'booking.rescheduled', appointment: moved });
    await until(r.lastFrame, 'Fri 2030-01-11 14:00', 'rescheduled');
  });

  it('every screen fits 80×24: reschedule grid and the cancel modal', async () => {
    const s = setup({ items: [appt({ start: START })], size: { columns: 80, rows: 24 } });
    const r = mount(s);
    await until(r.lastFrame, 'Wed 09 Jan 10:30');
    r.stdin.write('c');
    let f = await until(r.lastFrame, 'Yes, cancel', 'Fee: 25.00 USD');
    const fits = (x: string) => {
      const lines = x.split('\n');
      expect(lines.length).toBeLessThanOrEqual(24);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    };
    fits(f);
    r.stdin.write('n');
    await until(r.lastFrame, (x) => !x.includes('Yes, cancel'));
    r.stdin.write('t');
    f = await until(r.lastFrame, 'Selected: Thu 2030-01-10 10:30', 'Confirm new time');
    fits(f);
  });
});

describe('appt tui (command)', () => {
  it('refuses to start without a terminal (exit 2)', async () => {
    const io = bufferIO({ env: { APPT_SERVER: 'http://127.0.0.1:9', APPT_TOKEN: 't' } });
    expect(await run(['node', 'appt', 'tui'], io)).toBe(2);
    expect(io.stderr).toContain('appt tui needs a terminal');
  });

  it('asks for a login when there is none (exit 4)', async () => {
    const io = bufferIO({ isTTY: true, stdinTTY: true, env: { APPT_HOME: '/nonexistent-appt-home' } });
    expect(await run(['node', 'appt', 'tui'], io)).toBe(4);
    expect(io.stderr).toContain('not logged in');
  });
});

describe('starting offline', () => {
  it('with a saved login: the snapshot and the offline banner instead of an error', async () => {
    const s = setup();
    s.store.setSnapshot(
      'list:{"filter":"upcoming","mode":"user","tui":"user","userId":"u1"}',
      [appt({ start: '2030-01-12T15:00:00Z', serviceTitle: 'Saved cleaning' })],
      '2030-01-06T09:00:00.000Z',
    );
    s.data.fail.me = new TuiOfflineError();
    s.data.fail.list = new TuiOfflineError();
    const r = render(
      <App
        data={s.data}
        store={s.store}
        clock={s.clock}
        size={s.size}
        pollMs={3_600_000}
        fallbackMe={{ tokenId: 't1', name: 'Ada Lovelace', role: 'user', userId: 'u1' }}
      />,
    );
    cleanup = r.unmount;
    await until(r.lastFrame, 'offline — as of 2030-01-06', 'Saved cleaning', '● offline');
  });

  it('a double Enter on a slot holds it once', async () => {
    const s = setup({ items: [appt({ start: START })] });
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('t');
    await until(r.lastFrame, 'Selected: Thu 2030-01-10 10:30');
    r.stdin.write('\r\r');
    await until(r.lastFrame, 'Reserved for 01:30');
    expect(s.data.count('hold')).toBe(1);
    expect(s.data.count('reschedule')).toBe(0);
  });
});
