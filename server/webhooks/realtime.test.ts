import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { record } from '../realtime/testing.js';
import { bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import { signatureHeader } from './signature.js';

/** The calendar webhook reaches realtime subscribers: timeslot.updated (blocked) and booking.updated (attention). */
let h: Harness;
let base: string;
beforeEach(async () => {
  h = await makeHarness({ listen: true, config: { webhookSecret: 'whsec_rt' } });
  base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
});
afterEach(async () => {
  await h.close();
});

describe('calendar webhook → realtime', () => {
  it('publishes timeslot.updated with status blocked and booking.updated with the attention flag', async () => {
    const slots = (await slotsOf(h, '2030-01-08')).timeslots;
    const a = await bookVia(h, slots[6].id);
    const r = await record({
      server: base,
      token: h.tokens.staff,
      providerIds: [h.ids.provider],
      userIds: [h.ids.alice],
    });
    try {
      await r.subscribed(`provider.${h.ids.provider}.availability`);
      await r.subscribed(`private-user.${h.ids.alice}.bookings`);
      const body = JSON.stringify({
        providerId: h.ids.provider,
        busy: [{ externalId: 'ext-9', start: slots[5].start, end: slots[6].end }],
        removed: [],
      });
      const res = await fetch(`${base}/webhooks/calendar`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'appt-signature': signatureHeader('whsec_rt', body, h.clock.now()),
        },
        body,
      });
      expect(res.status).toBe(200);
      type Msg = { providerId: string; date: string; changes?: { timeslotId: string; status: string }[] };
      const blocked = await r.next(
        (e) =>
          e.event === 'timeslot.updated' &&
          ((e.data as Msg).changes ?? []).some((c) => c.timeslotId === slots[5].id && c.status === 'blocked'),
        5000,
        0,
      );
      expect(blocked.data).toMatchObject({ providerId: h.ids.provider, date: '2030-01-08' });
      const flagged = await r.next((e) => e.event === 'booking.updated', 5000, 0);
      expect(flagged.data).toMatchObject({ appointmentId: a.id, updates: { needsAttention: true } });
    } finally {
      r.close();
    }
  });
});
