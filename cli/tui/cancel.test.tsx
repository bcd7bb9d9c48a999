import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { TuiApiError, TuiOfflineError } from './data.js';
import { AppUnderTest, appt, pressEsc, setup, until } from './testing.js';

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
const START = '2030-01-09T15:30:00Z';

describe('CancelConfirmationModal', () => {
  it('fee shown: c opens the modal with fee, refund and policy; y cancels (2 keys)', async () => {
    const s = setup({ items: [appt({ start: START })] });
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('c');
    const f = await until(r.lastFrame, 'Fee: 25.00 USD', 'Refund: 95.00 USD', 'No, keep', 'Yes, cancel');
    expect(f).toContain('Policy: Free until 24 h before; 25.00 USD after.');
    expect(f).toContain('Cancel this appointment?');
    r.stdin.write('y');
    await until(r.lastFrame, 'Cancelled · fee 25.00 USD · refund 95.00 USD');
    expect(s.data.count('cancel')).toBe(1);
    const [id, key, version] = s.data.calls.find((c) => c.method === 'cancel')!.args;
    expect(id).toBe(s.data.items[0]!.id);
    expect(typeof key).toBe('string');
    expect(version).toBe(1);
  });

  it('loading: the modal says the quote is on its way', async () => {
    const s = setup({ items: [appt({ start: START })] });
    s.data.hang.add('quote');
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('c');
    await until(r.lastFrame, 'Loading fee quote…', 'No, keep');
  });

  it('n and Esc keep the appointment', async () => {
    const s = setup({ items: [appt({ start: START })] });
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('c');
    await until(r.lastFrame, 'Fee: 25.00 USD');
    r.stdin.write('n');
    await until(r.lastFrame, (f) => !f.includes('No, keep'));
    r.stdin.write('c');
    await until(r.lastFrame, 'Fee: 25.00 USD');
    await pressEsc(r.stdin);
    const f = await until(r.lastFrame, (x) => !x.includes('No, keep'));
    expect(f).toContain('confirmed');
    expect(s.data.count('cancel')).toBe(0);
  });

  it('optimistic: the row shows cancelled at once and rolls back with a message on error', async () => {
    const s = setup({ items: [appt({ start: START })] });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    s.data.cancel = async () => {
      await gate;
      throw new TuiApiError(500, 'internal', 'Internal error');
    };
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('c');
    await until(r.lastFrame, 'Fee: 25.00 USD');
    r.stdin.write('y');
    await until(r.lastFrame, 'cancelled', 'Cancelling');
    release();
    const f = await until(r.lastFrame, 'Cancel failed, rolled back: internal');
    expect(f).toContain('confirmed');
  });

  it('error: a failed quote still shows the policy fee and lets you decide', async () => {
    const s = setup({ items: [appt({ start: START })] });
    s.data.fail.quote = new TuiApiError(500, 'internal', 'Internal error');
    const r = mount(s);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    r.stdin.write('c');
    await until(r.lastFrame, 'Fee quote failed: internal', 'policy fee 25.00 USD', 'No, keep');
  });

  it('queued action: offline, the cancel is queued (never shown as done) and replays when back', async () => {
    const s = setup({ items: [appt({ start: START })] });
    const r = mount(s, 80);
    await until(r.lastFrame, 'Wed 2030-01-09 10:30');
    s.data.fail.quote = new TuiOfflineError();
    s.data.fail.cancel = new TuiOfflineError();
    s.data.fail.me = new TuiOfflineError();
    r.stdin.write('c');
    await until(r.lastFrame, 'Fee unknown while offline', 'will be queued');
    r.stdin.write('y');
    const f = await until(r.lastFrame, 'queued cancel', 'queue 1', 'not done until the server confirms');
    expect(f).not.toContain('Cancelled ·');
    expect(s.store.queue()).toHaveLength(1);
    const key = s.store.queue()[0]!.idempotencyKey;
    // the server comes back: the probe replays the queue with the same idempotency key
    delete s.data.fail.cancel;
    delete s.data.fail.me;
    delete s.data.fail.quote;
    await until(r.lastFrame, 'queue 0', 'Replayed 1 queued');
    const call = s.data.calls.filter((c) => c.method === 'cancel').pop()!;
    expect(call.args[1]).toBe(key);
    expect(s.store.queue()).toHaveLength(0);
  });

  it('c on a cancelled appointment explains instead of opening the modal', async () => {
    const s = setup({ items: [appt({ start: START, status: 'cancelled' })] });
    s.data.meValue = { tokenId: 't', name: 'Desk', role: 'staff' };
    const r = mount(s);
    await until(r.lastFrame, 'cancelled');
    r.stdin.write('c');
    await until(r.lastFrame, 'This appointment is cancelled; only active ones can be cancelled');
    expect(r.lastFrame()).not.toContain('No, keep');
  });
});
