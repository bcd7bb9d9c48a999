import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { TuiApiError, TuiOfflineError } from './data.js';
import { localTime } from './format.js';
import { AppUnderTest, appt, pressEsc, setup, T0, until } from './testing.js';

const DOWN = '\x1b[B';
let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});
function mount(s: ReturnType<typeof setup>, pollMs?: number) {
  const r = render(<AppUnderTest {...s} {...(pollMs ? { pollMs } : {})} />);
  cleanup = r.unmount;
  return r;
}

describe('AppointmentsList', () => {
  it('loading: says so while the list is on its way', async () => {
    const s = setup();
    s.data.hang.add('list');
    const r = mount(s);
    await until(r.lastFrame, 'Loading appointments…', 'Upcoming', 'History');
  });

  it('shows rows with local time in the provider zone, provider, service, status and price', async () => {
    const a = appt({ start: '2030-01-09T15:30:00Z' });
    const s = setup({ items: [a] });
    const r = mount(s);
    const f = await until(
      r.lastFrame,
      'Wed 2030-01-09 10:30',
      'Dr. Rivera',
      'Cleaning',
      'confirmed',
      '120.00 USD',
    );
    expect(f).toContain('Upcoming');
    expect(f).toContain('online');
  });

  it('empty: says there is nothing, and Tab switches to History', async () => {
    const s = setup({ items: [] });
    const r = mount(s);
    await until(r.lastFrame, 'No appointments here.');
    r.stdin.write('\t');
    await until(
      () =>
        s.data.calls.some((c) => (c.args[0] as { filter?: string })?.filter === 'history') ? 'asked' : '',
      'asked',
    );
  });

  it('error: shows the server’s reason', async () => {
    const s = setup();
    s.data.fail.list = new TuiApiError(500, 'internal', 'Internal error');
    const r = mount(s);
    await until(r.lastFrame, 'Could not load appointments: internal: Internal error');
  });

  it('offline: shows the snapshot with the “offline — as of” banner', async () => {
    const s = setup();
    const snapItem = appt({ start: '2030-01-10T15:00:00Z', serviceTitle: 'Snapshot cleaning' });
    s.store.setSnapshot(
      'list:{"filter":"upcoming","mode":"user","tui":"user","userId":"u1"}',
      [snapItem],
      '2030-01-07T11:00:00.000Z',
    );
    s.data.fail.list = new TuiOfflineError();
    const r = mount(s);
    const f = await until(r.lastFrame, 'offline — as of', 'Snapshot cleaning', '● offline');
    expect(f).toMatch(/offline — as of 2030-01-07 \d\d:00:00/);
    expect(f).toContain('● offline');
  });

  it('renders only the visible rows of 2,000 and fits 80×24', async () => {
    const items = Array.from({ length: 2000 }, (_, i) =>
      appt({ start: new Date(T0 + (i + 2) * 3600_000).toISOString(), serviceTitle: `Svc ${i}` }),
    );
    const s = setup({ items, size: { columns: 80, rows: 24 } });
    s.data.pageSize = 2000;
    const r = mount(s);
    const f = await until(r.lastFrame, 'Svc 0');
    const lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(f).not.toContain('Svc 100');
  });

  it('infinite scroll: moving near the end fetches the next page over the cursor', async () => {
    const items = Array.from({ length: 30 }, (_, i) =>
      appt({ start: new Date(T0 + (i + 2) * 3600_000).toISOString(), serviceTitle: `Svc ${i}` }),
    );
    const s = setup({ items });
    s.data.pageSize = 10;
    const r = mount(s);
    await until(r.lastFrame, 'Svc 0');
    r.stdin.write('j'.repeat(8));
    await until(r.lastFrame, 'Svc 10');
    expect(s.data.calls.some((c) => (c.args[0] as { cursor?: string })?.cursor === '10')).toBe(true);
    r.stdin.write('j'.repeat(15));
    await until(r.lastFrame, 'Svc 23');
  });

  it('staff: day view across providers, [ and ] change the day, / searches, d toggles', async () => {
    const s = setup();
    s.data.meValue = { tokenId: 't', name: 'Desk', role: 'staff' };
    const r = mount(s);
    await until(r.lastFrame, 'Day Mon 2030-01-07 in', 'Ada Lovelace');
    r.stdin.write(']');
    await until(r.lastFrame, 'Day Tue 2030-01-08');
    r.stdin.write('[');
    r.stdin.write('[');
    await until(r.lastFrame, 'Day Sun 2030-01-06');
    r.stdin.write('/');
    await until(r.lastFrame, 'Search customer or provider:');
    r.stdin.write('Ada');
    await until(r.lastFrame, 'Search customer or provider: Ada');
    r.stdin.write('\r');
    await until(r.lastFrame, 'search “Ada”');
    expect(s.data.calls.some((c) => (c.args[0] as { q?: string })?.q === 'Ada')).toBe(true);
    r.stdin.write('d');
    await until(r.lastFrame, /History {2}Ada Lovelace/);
    expect(s.data.calls.some((c) => (c.args[0] as { mode?: string })?.mode === 'user')).toBe(true);
  });

  it('a customer token cannot open the day view', async () => {
    const s = setup();
    const r = mount(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('d');
    await until(r.lastFrame, 'the day view is for staff tokens');
  });

  it('? shows help and Esc closes it; Enter opens the detail with policy, fee, audit and notifications', async () => {
    const a = appt({ start: '2030-01-09T15:30:00Z' });
    const s = setup({ items: [a] });
    const r = mount(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write('?');
    await until(r.lastFrame, 'Keys', 'Tomorrow / Next available / Pick date');
    await pressEsc(r.stdin);
    await until(r.lastFrame, 'Upcoming');
    r.stdin.write('\r');
    const f = await until(
      r.lastFrame,
      'Cleaning with Dr. Rivera',
      'Cancellation: Free until 24 h before',
      'Cancel now: fee',
      '25.00 USD',
      'created',
      'email',
      'sent',
      't Tomorrow · n Next available · p Pick date',
    );
    expect(f).toContain(localTime(a.start, a.timezone));
    await pressEsc(r.stdin);
    await until(r.lastFrame, 'Upcoming');
  });

  it('the down arrow moves the selection (escape sequences work too)', async () => {
    const s = setup();
    const r = mount(s);
    await until(r.lastFrame, 'Cleaning');
    r.stdin.write(DOWN);
    await until(r.lastFrame, /\n {2}.*Cleaning.*\n› .*Cleaning/);
  });
});
