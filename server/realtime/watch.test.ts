import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { runWatch } from '../../cli/commands/watch-run.js';
import { makeFactory } from '../../cli/factory.js';
import { bufferIO } from '../../cli/io.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';

/**
 * `appt watch`'s run function in this process against the listening app: the readable line
 * of every booking event, stopping on a signal, and leaving no subscription behind.
 */

const DAY = '2030-01-08';
let h: Harness;
let base: string;
beforeEach(async () => {
  h = await makeHarness({ listen: true });
  base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
});
afterEach(async () => {
  await h.close();
});

async function until(fn: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('runWatch', () => {
  it('prints one readable line per booking event and stops on a signal', async () => {
    const io = bufferIO({ env: { APPT_SERVER: base, APPT_TOKEN: h.tokens.staff, APPT_HOME: h.dir } });
    const stop = new AbortController();
    const done = runWatch(
      makeFactory(io, new Command()),
      { user: [h.ids.alice], provider: [h.ids.provider] },
      { signal: stop.signal },
    );
    await until(() => (io.stderr.match(/watching /g) ?? []).length === 2);
    const hub = h.ctx.realtime.hub;
    expect(hub.stats().subscriptions).toBe(2);

    const slots = (await slotsOf(h, DAY)).timeslots;
    const appt = await bookVia(h, slots[0].id);
    await until(() => io.stdout.includes('booking.confirmed'));
    const hold = await h.app.inject({
      method: 'POST',
      url: '/reservations',
      headers: auth(h.tokens.staff),
      payload: {
        providerId: h.ids.provider,
        serviceId: h.ids.service,
        timeslotId: slots[2].id,
        appointmentId: appt.id,
      },
    });
    const moved = await h.app.inject({
      method: 'POST',
      url: `/appointments/${appt.id}/reschedule`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'w-1' }),
      payload: { reservationToken: hold.json().reservationToken },
    });
    expect(moved.statusCode).toBe(200);
    await until(() => io.stdout.includes('booking.rescheduled'));
    h.clock.set(Date.parse(slots[2].start) + 1000);
    await h.app.inject({
      method: 'POST',
      url: `/appointments/${appt.id}/no-show`,
      headers: auth(h.tokens.staff),
      payload: {},
    });
    await until(() => io.stdout.includes('booking.updated'));
    await until(() => io.stdout.includes('timeslot.updated'));

    stop.abort();
    await done;
    const lines = io.stdout.trim().split('\n');
    const find = (ev: string) => lines.find((l) => l.includes(` ${ev} `)) ?? '';
    expect(find('booking.confirmed')).toMatch(
      new RegExp(
        `^\\d\\d:\\d\\d:\\d\\d  booking\\.confirmed +${appt.id}  Tue 2030-01-08 09:00 \\(America/New_York\\)  Consultation with Dr\\. Test  v1$`,
      ),
    );
    expect(find('booking.rescheduled')).toMatch(
      /booking\.rescheduled +\S+ {2}Tue 2030-01-08 09:00 \(America\/New_York\) → Tue 2030-01-08 10:00 \(America\/New_York\) {2}v2$/,
    );
    expect(find('booking.updated')).toMatch(new RegExp(`booking\\.updated +${appt.id}  status=no_show  v3$`));
    expect(find('timeslot.updated')).toMatch(
      new RegExp(
        `timeslot\\.updated +provider ${h.ids.provider}  ${DAY}  \\d+ slots?: \\d+ (reserved|booked|available)`,
      ),
    );
    expect(io.stderr).toMatch(/realtime: connected/);
    await until(() => hub.stats().connections === 0);
    expect(hub.stats().subscriptions).toBe(0);
  });

  it('--json lines carry at, channel, event and data', async () => {
    const io = bufferIO({ env: { APPT_SERVER: base, APPT_TOKEN: h.tokens.alice, APPT_HOME: h.dir } });
    const done = runWatch(makeFactory(io, new Command()), { json: true, limit: '1' });
    await until(() => io.stderr.includes(`watching private-user.${h.ids.alice}.bookings`));
    const appt = await bookVia(h, (await slotsOf(h, DAY)).timeslots[4].id, { token: h.tokens.alice });
    await done;
    const line = JSON.parse(io.stdout.trim());
    expect(Object.keys(line)).toEqual(['at', 'channel', 'event', 'data']);
    expect(line).toMatchObject({
      channel: `private-user.${h.ids.alice}.bookings`,
      event: 'booking.confirmed',
      data: { appointment: { id: appt.id }, version: 1 },
    });
  });
});
