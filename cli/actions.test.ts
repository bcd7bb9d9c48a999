import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookVia, type Harness, makeHarness, slotsOf } from '../server/testing/harness.js';
import { ApiClient, ApiError } from '../shared/client.js';
import { appliedWithKey, doCancel, doReschedule } from './actions.js';
import { bufferIO } from './io.js';
import { buildProgram, handleError } from './main.js';

// In-process: the real app on a port with a ManualClock, so hold lapses are a clock move.

let h: Harness;
let url: string;
let c: ApiClient;
beforeAll(async () => {
  h = await makeHarness({ listen: true });
  url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  c = new ApiClient({ baseUrl: url, token: h.tokens.staff, channel: 'bulk' });
});
afterAll(async () => {
  await c.close();
  await h.close();
});

describe('re-runnable actions', () => {
  it('a re-run after a lapsed keyed hold takes a fresh hold and moves the appointment once', async () => {
    const s = (await slotsOf(h, '2030-01-09')).timeslots;
    const a = await bookVia(h, s[0].id);
    const key = 'bulk:test:a';
    const input = {
      appointmentId: a.id,
      key,
      version: a.version,
      providerId: h.ids.provider,
      serviceId: h.ids.service,
      timeslotId: s[4].id,
    };
    // the crashed run: took its keyed hold, never confirmed
    const first = await c.hold(
      { providerId: h.ids.provider, serviceId: h.ids.service, timeslotId: s[4].id, appointmentId: a.id },
      `${key}:hold:${s[4].id}:1`,
    );
    h.clock.advance(91_000);
    const r = await doReschedule(c, input, (await c.appointment(a.id)).data);
    expect(r.outcome).toBe('applied');
    expect(r.appointment.start).toBe(s[4].start);
    const d = (await c.appointment(a.id)).data;
    expect(d.audit.filter((e) => e.action === 'rescheduled' && e.outcome === 'applied')).toHaveLength(1);
    expect(appliedWithKey(d, key, 'rescheduled')?.idempotencyKey).toMatch(new RegExp(`^${key}:rs:`));
    expect(appliedWithKey(d, key, 'rescheduled')?.idempotencyKey).not.toContain(first.reservationToken);
    // a third run: recognised from the audit trail, nothing sent
    const again = await doReschedule(c, input, d);
    expect(again.outcome).toBe('already');
    expect((await c.appointment(a.id)).data.version).toBe(d.version);
  });

  it('a stale version is refused (412), never applied', async () => {
    const s = (await slotsOf(h, '2030-01-10')).timeslots;
    const a = await bookVia(h, s[0].id);
    const e = await doReschedule(c, {
      appointmentId: a.id,
      key: 'bulk:test:stale',
      version: a.version + 1,
      providerId: h.ids.provider,
      serviceId: h.ids.service,
      timeslotId: s[2].id,
    }).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(412);
  });

  it('a cancel with the same key replays as "already"', async () => {
    const s = (await slotsOf(h, '2030-01-11')).timeslots;
    const a = await bookVia(h, s[0].id);
    const one = await doCancel(c, { appointmentId: a.id, key: 'bulk:test:c', reason: 'x' });
    const two = await doCancel(c, { appointmentId: a.id, key: 'bulk:test:c', reason: 'x' });
    expect([one.outcome, two.outcome]).toEqual(['applied', 'already']);
    const d = (await c.appointment(a.id)).data;
    expect((await doCancel(c, { appointmentId: a.id, key: 'bulk:test:c' }, d)).outcome).toBe('already');
  });
});

describe('interactive commands (a terminal, answers typed)', () => {
  const home = mkdtempSync(join(tmpdir(), 'appt-tty-'));
  // the countdown runs on the terminal's clock: this server's clock starts at the real now
  let h2: Harness;
  let url2: string;
  const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
  beforeAll(async () => {
    h2 = await makeHarness({ listen: true, now: new Date().toISOString() });
    url2 = `http://127.0.0.1:${(h2.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => h2.close());
  async function cli(args: string[], answers: string[]) {
    const io = bufferIO({
      stdinTTY: true,
      answers,
      env: { APPT_HOME: home, APPT_SERVER: url2, APPT_TOKEN: h2.tokens.staff },
    });
    let code = 0;
    try {
      await buildProgram(io).parseAsync(['node', 'appt', ...args]);
    } catch (e) {
      code = handleError(e, io);
    }
    return { code, out: io.stdout, err: io.stderr };
  }

  it('reschedule: shows the hold countdown, asks, confirms', async () => {
    const s = (await slotsOf(h2, day(2))).timeslots;
    const a = await bookVia(h2, s[0].id);
    const r = await cli(['reschedule', a.id, '--to', s[3].id], ['y']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/Reserved for 01:(2|3)\d/);
    expect(r.err).toMatch(/Confirm new time\? \[y\/N\]/);
    expect(r.out).toMatch(/^rescheduled /);
  });

  it('reschedule: declining releases the hold; a lapsed hold says "Hold expired" (exit 3)', async () => {
    const s = (await slotsOf(h2, day(3))).timeslots;
    const a = await bookVia(h2, s[0].id);
    const no = await cli(['reschedule', a.id, '--to', s[3].id], ['n']);
    // declining is an answer, not a failure
    expect(no.code).toBe(0);
    expect(no.err).toMatch(/nothing changed/);
    expect((await slotsOf(h2, day(3))).timeslots[3].status).toBe('available');
    const io = bufferIO({
      stdinTTY: true,
      env: { APPT_HOME: home, APPT_SERVER: url2, APPT_TOKEN: h2.tokens.staff },
      // the desk walks away: the hold lapses while the question is open
      prompt: async () => {
        h2.clock.advance(120_000);
        return 'y';
      },
    });
    let code = 0;
    try {
      await buildProgram(io).parseAsync(['node', 'appt', 'reschedule', a.id, '--to', s[5].id]);
    } catch (e) {
      code = handleError(e, io);
    }
    expect(code).toBe(3);
    expect(io.stderr).toMatch(/Hold expired/);
    expect(io.stderr).toMatch(/reservation_expired/);
  });

  it('reschedule --date: lists the choices and takes the one typed', async () => {
    const s = (await slotsOf(h2, day(4))).timeslots;
    const a = await bookVia(h2, s[0].id);
    const r = await cli(['reschedule', a.id, '--date', day(5)], ['2', 'y']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/ 1\) .*\n.* 2\) /);
    const bad = await cli(['reschedule', a.id, '--date', day(6)], ['99']);
    expect(bad.code).toBe(0);
    expect(bad.err).toMatch(/no slot picked: nothing changed/);
  });

  it('cancel: prints the quote and asks; "n" keeps it', async () => {
    const s = (await slotsOf(h2, day(7))).timeslots;
    const a = await bookVia(h2, s[0].id);
    const keep = await cli(['cancel', a.id], ['n']);
    expect(keep.code).toBe(0);
    expect(keep.err).toMatch(/fee 0\.00 USD, refund 50\.00 USD/);
    expect(keep.err).toMatch(/No, keep: nothing changed/);
    const yes = await cli(['cancel', a.id, '--reason', 'asked'], ['y']);
    expect(yes.code).toBe(0);
    expect(yes.out).toMatch(/^cancelled /);
  });
});

describe('bulk on a terminal', () => {
  it('draws a progress bar on stderr, item lines and a summary', async () => {
    const home = mkdtempSync(join(tmpdir(), 'appt-bulk-tty-'));
    const s = (await slotsOf(h, '2030-01-20')).timeslots;
    const ids = [(await bookVia(h, s[0].id)).id, (await bookVia(h, s[1].id)).id];
    const plan = join(home, 'plan.csv');
    writeFileSync(plan, `appointmentId,action\n${ids.map((id) => `${id},cancel`).join('\n')}\n`);
    const io = bufferIO({
      isErrTTY: true,
      env: { APPT_HOME: home, APPT_SERVER: url, APPT_TOKEN: h.tokens.staff },
    });
    await buildProgram(io).parseAsync(['node', 'appt', 'bulk', 'cancel', '--file', plan]);
    expect(io.stderr).toMatch(/\[#+-*\] \d\/2/);
    expect(io.stdout.split('\n').filter((l) => l.startsWith('applied'))).toHaveLength(2);
    expect(io.stderr).toMatch(/2 items — 2 applied, 0 already done, 0 failed/);
    const quiet = bufferIO({ env: { APPT_HOME: home, APPT_SERVER: url, APPT_TOKEN: h.tokens.staff } });
    await buildProgram(quiet).parseAsync(['node', 'appt', 'bulk', 'cancel', '--file', plan]);
    expect(quiet.stderr).not.toMatch(/\[#/);
    expect(quiet.stdout.split('\n').filter((l) => l.startsWith('already'))).toHaveLength(2);
  });
});
