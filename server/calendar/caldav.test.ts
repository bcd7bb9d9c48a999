import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { stmt } from '../db/open.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ICAL from 'ical.js';
import { fetchCalendarObjects } from 'tsdav';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { cancelVia, jobDeps, rescheduleVia } from '../jobs/testing.js';
import { dispatchOutbox } from '../notifications/dispatch.js';
import { bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import { caldavTarget, objectUrl, syncCalendars } from './caldav.js';

/**
 * CalDAV push against a real radicale (Debian package) on 127.0.0.1. Absent radicale
 * skips with a plain message, except under CI=true where it fails.
 */
function hasRadicale(): boolean {
  try {
    execFileSync('radicale', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const present = hasRadicale();
if (!present && process.env.CI === 'true')
  throw new Error('radicale is required under CI=true (apt-get install radicale)');
if (!present)
  console.log('radicale not installed: skipping the CalDAV test (apt-get install radicale to run it)');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const up = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.end();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`radicale did not listen on ${port}`);
}

let radicale: ChildProcess | undefined;
let radDir: string;
let base: string;
let log = '';

beforeAll(async () => {
  if (!present) return;
  radDir = mkdtempSync(join(tmpdir(), 'appt-radicale-'));
  const port = await freePort();
  writeFileSync(
    join(radDir, 'config'),
    `[server]\nhosts = 127.0.0.1:${port}\n[auth]\ntype = none\n[rights]\ntype = authenticated\n[storage]\nfilesystem_folder = ${join(radDir, 'collections')}\n[logging]\nlevel = warning\n`,
  );
  radicale = spawn('radicale', ['--config', join(radDir, 'config')], { stdio: ['ignore', 'pipe', 'pipe'] });
  radicale.stderr!.on('data', (d: Buffer) => {
    log += d.toString();
  });
  await waitForPort(port, 15_000);
  // auth type = none accepts any user; the user name picks the principal collection
  base = `http://appt:unused@127.0.0.1:${port}/appt/`;
});
afterAll(async () => {
  if (radicale && radicale.exitCode === null) {
    const exited = new Promise((r) => radicale!.once('exit', r));
    radicale.kill('SIGTERM');
    await exited;
  }
  if (radDir) rmSync(radDir, { recursive: true, force: true });
});

let h: Harness;
beforeEach(async () => {
  if (!present) return;
  h = await makeHarness();
});
afterEach(async () => {
  if (h) await h.close();
});

async function makeCalendar(url: string) {
  const { base: u, headers } = caldavTarget(url);
  const r = await fetch(u, {
    method: 'MKCOL',
    headers: { ...headers, 'content-type': 'application/xml' },
    body: `<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype><D:displayname>clinic</D:displayname></D:prop></D:set></D:mkcol>`,
  });
  if (r.status !== 201) throw new Error(`MKCOL ${r.status}: ${await r.text()} ${log}`);
}

/** The calendar as a client sees it: a REPORT through tsdav, each object parsed with ical.js. */
async function calendarState(url: string) {
  const { base: u, headers } = caldavTarget(url);
  const objs = await fetchCalendarObjects({ calendar: { url: u }, headers });
  return objs.map((o) => {
    const ev = new ICAL.Component(ICAL.parse(o.data)).getFirstSubcomponent('vevent')!;
    return {
      url: o.url,
      uid: ev.getFirstPropertyValue('uid'),
      sequence: Number(ev.getFirstPropertyValue('sequence')),
      start: (ev.getFirstPropertyValue('dtstart') as ICAL.Time).toJSDate().toISOString(),
      status: ev.getFirstPropertyValue('status'),
    };
  });
}

describe.skipIf(!present)('CalDAV push to a real radicale', () => {
  it('book → reschedule → cancel: the calendar holds the right event at each step', async () => {
    const cal = `${base}clinic-${Date.now()}/`;
    await makeCalendar(cal);
    await stmt(h.ctx.db, 'UPDATE providers SET caldav_url = ? WHERE id = ?').run(cal, h.ids.provider);
    const deps = jobDeps(h);
    const slots = (await slotsOf(h, '2030-01-08')).timeslots;

    const a = await bookVia(h, slots[2].id);
    expect((await dispatchOutbox(deps)).calendar).toBe(1);
    expect(await syncCalendars(deps)).toMatchObject({ pushed: 1, deleted: 0 });
    expect(await calendarState(cal)).toEqual([
      {
        url: objectUrl(cal, a.id),
        uid: a.id,
        sequence: a.version,
        start: slots[2].start,
        status: 'CONFIRMED',
      },
    ]);
    // a rerun with nothing pending touches nothing
    expect((await syncCalendars(deps)).claimed).toBe(0);

    const moved = await rescheduleVia(h, a.id, slots[7].id);
    await dispatchOutbox(deps);
    expect(await syncCalendars(deps)).toMatchObject({ pushed: 1 });
    const afterMove = await calendarState(cal);
    expect(afterMove).toHaveLength(1);
    expect(afterMove[0]).toMatchObject({ uid: a.id, sequence: moved.version, start: slots[7].start });
    expect(moved.version).toBeGreaterThan(a.version);

    // someone deleted the event by hand: the cancellation's DELETE meets a 404 and is still done
    const { headers } = caldavTarget(cal);
    expect((await fetch(objectUrl(cal, a.id), { method: 'DELETE', headers })).status).toBe(200);
    await cancelVia(h, a.id);
    await dispatchOutbox(deps);
    expect(await syncCalendars(deps)).toMatchObject({ deleted: 1 });
    expect(await calendarState(cal)).toEqual([]);
    const row = await stmt(h.ctx.db, 'SELECT status, sequence, last_error FROM calendar_sync').get();
    expect(row).toMatchObject({ status: 'deleted', last_error: null });
  });

  it('an unreachable or refusing calendar is retried with backoff, then dead-lettered', async () => {
    // a collection that does not exist: radicale answers 409 to a PUT below a missing parent
    const cal = `${base}missing-${Date.now()}/deeper/`;
    await stmt(h.ctx.db, 'UPDATE providers SET caldav_url = ? WHERE id = ?').run(cal, h.ids.provider);
    const deps = jobDeps(h);
    await bookVia(h, (await slotsOf(h, '2030-01-08')).timeslots[1].id);
    await dispatchOutbox(deps);
    const retry = { maxAttempts: 2, baseDelayMs: 1000, maxDelayMs: 5000 };
    expect(await syncCalendars(deps, { retry })).toMatchObject({ retried: 1 });
    const row = async () =>
      (await stmt(h.ctx.db, 'SELECT status, attempts, last_error FROM calendar_sync').get()) as Record<
        string,
        unknown
      >;
    expect(await row()).toMatchObject({ status: 'pending', attempts: 1 });
    expect(String((await row()).last_error)).toMatch(/CalDAV PUT: HTTP 4\d\d/);
    expect((await syncCalendars(deps, { retry })).claimed).toBe(0); // backing off
    h.clock.advance(1000);
    expect(await syncCalendars(deps, { retry })).toMatchObject({ failed: 1 });
    expect(await row()).toMatchObject({ status: 'failed', attempts: 2 });
  });
});
