import { describe, expect, it } from 'vitest';
import { replayQueue } from './actions.js';
import { memoryStore, type QueuedAction, TuiApiError, TuiOfflineError } from './data.js';
import { makeQueryClient } from './query.js';
import { appt, FakeData, T0 } from './testing.js';
import { ManualTuiClock } from './data.js';

const q = (over: Partial<QueuedAction>): QueuedAction => ({
  id: `q-${Math.random()}`,
  kind: 'cancel',
  appointmentId: 'x',
  idempotencyKey: `k-${Math.random()}`,
  version: 1,
  queuedAt: new Date(T0).toISOString(),
  server: 'http://s',
  ...over,
});

describe('replayQueue', () => {
  it('replays cancels and moves with their own keys and versions, then empties the queue', async () => {
    const a = appt({ start: '2030-01-09T15:30:00Z' });
    const b = appt({ start: '2030-01-09T16:30:00Z' });
    const data = new FakeData([a, b], new ManualTuiClock(T0));
    const store = memoryStore();
    await store.enqueue(q({ kind: 'cancel', appointmentId: a.id, idempotencyKey: 'kc' }));
    await store.enqueue(
      q({
        kind: 'reschedule',
        appointmentId: b.id,
        idempotencyKey: 'kr',
        reschedule: { providerId: 'p1', serviceId: 's1', timeslotId: 'ts_2030-01-10_3' },
      }),
    );
    const out = await replayQueue(data, store, makeQueryClient());
    expect(out.map((o) => o.ok)).toEqual([true, true]);
    expect(store.queue()).toHaveLength(0);
    expect(data.calls.find((c) => c.method === 'cancel')?.args.slice(1, 3)).toEqual(['kc', 1]);
    // the shared replay keys the hold and the move from the intent's key (as the CLI does)
    expect(data.calls.find((c) => c.method === 'reschedule')?.args.slice(2, 4)).toEqual([
      1,
      'kr:rs:r-ts_2030-01-10_3',
    ]);
    expect(data.items[1]!.start).toBe('2030-01-10T15:30:00.000Z');
  });

  it('a conflict on replay is reported with the nearest alternatives and stays queued, marked, not retried by itself', async () => {
    const a = appt({ start: '2030-01-09T15:30:00Z' });
    const data = new FakeData([a], new ManualTuiClock(T0));
    data.fail.hold = new TuiApiError(409, 'slot_taken', 'Timeslot taken', [
      {
        timeslotId: 't2',
        start: '2030-01-10T16:00:00.000Z',
        end: '2030-01-10T16:30:00.000Z',
        deltaMinutes: 30,
        priceDeltaCents: 0,
      },
    ]);
    const store = memoryStore();
    await store.enqueue(
      q({
        kind: 'reschedule',
        appointmentId: a.id,
        reschedule: { providerId: 'p1', serviceId: 's1', timeslotId: 'ts_2030-01-10_3' },
      }),
    );
    const [o] = await replayQueue(data, store, makeQueryClient());
    expect(o!.ok).toBe(false);
    expect(o!.message).toContain('slot_taken');
    expect(o!.message).toContain('nearest: 2030-01-10 16:00');
    expect(store.queue()).toHaveLength(1);
    expect(store.queue()[0].lastError).toMatchObject({ code: 'slot_taken', status: 409 });
    // the next automatic replay leaves it for the desk (appt queue replay / drop)
    expect(await replayQueue(data, store, makeQueryClient())).toEqual([]);
    expect(data.count('hold')).toBe(1);
  });

  it('still offline: stops and keeps everything queued', async () => {
    const a = appt();
    const data = new FakeData([a], new ManualTuiClock(T0));
    data.fail.cancel = new TuiOfflineError();
    const store = memoryStore();
    await store.enqueue(q({ appointmentId: a.id }));
    await store.enqueue(q({ appointmentId: a.id }));
    expect(await replayQueue(data, store, makeQueryClient())).toEqual([]);
    expect(store.queue()).toHaveLength(2);
    expect(data.count('cancel')).toBe(1);
  });
});
