import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, BIN, ROOT, type ServerProcess, startServerProcess } from '../server-process.js';
import { TmuxSession, tmuxAvailable } from '../tmux.js';

// Drives the real `appt tui` in tmux against a real `appt serve --demo`, then checks the
// results through the HTTP API and the audit trail.
const haveTmux = tmuxAvailable();
if (!haveTmux && process.env.CI === 'true')
  throw new Error('tmux is required in CI for the TUI end-to-end test');
if (!haveTmux) console.log('tmux not installed: skipping the TUI end-to-end test');

interface Appt {
  id: string;
  userId: string;
  providerId: string;
  serviceId: string;
  start: string;
  end: string;
  timezone: string;
  status: string;
  version: number;
}

const row = (a: { start: string; timezone: string }) =>
  DateTime.fromISO(a.start, { zone: a.timezone }).toFormat('ccc yyyy-MM-dd HH:mm');

describe.skipIf(!haveTmux)('appt tui in tmux against a real server', () => {
  let srv: ServerProcess;
  let home: string;
  let tmux: TmuxSession;
  let userToken: string;
  let userId: string;
  let upcoming: Appt[] = [];
  let moveMe: Appt;
  let tomorrowStart: string;

  beforeAll(async () => {
    srv = await startServerProcess({ args: ['--demo'] });
    home = mkdtempSync(join(tmpdir(), 'appt-tui-home-'));
    // a customer with at least three upcoming appointments, one of which can move to the
    // same local time tomorrow
    const users = await api(srv.url, srv.adminToken, 'GET', '/admin/users?limit=200');
    for (const u of users.json.items as { id: string }[]) {
      const l = await api(
        srv.url,
        srv.adminToken,
        'GET',
        `/users/${u.id}/appointments?filter=upcoming&limit=50`,
      );
      const items = l.json.items as Appt[];
      if (items.length < 3) continue;
      for (const a of items) {
        const alts = await api(
          srv.url,
          srv.adminToken,
          'GET',
          `/appointments/${a.id}/alternatives?kind=tomorrow`,
        );
        const want = DateTime.fromISO(a.start, { zone: a.timezone }).plus({ days: 1 }).toMillis();
        const first = alts.json.items?.[0];
        if (first && Date.parse(first.start) === want) {
          userId = u.id;
          upcoming = items;
          moveMe = a;
          tomorrowStart = first.start;
          break;
        }
      }
      if (moveMe) break;
    }
    expect(moveMe, 'demo data has a customer whose appointment can move to tomorrow').toBeDefined();
    const tok = await api(srv.url, srv.adminToken, 'POST', '/admin/tokens', {
      name: 'tui-e2e',
      role: 'user',
      userId,
    });
    userToken = tok.json.token;
    tmux = new TmuxSession('tui', { cols: 100, rows: 30 });
    tmux.start(
      [process.execPath, BIN, 'tui'],
      { APPT_SERVER: srv.url, APPT_TOKEN: userToken, APPT_HOME: home },
      ROOT,
    );
  }, 120_000);

  afterAll(async () => {
    tmux?.kill();
    await srv?.stop();
    await srv?.cleanup();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  async function select(a: Appt) {
    const l = await api(srv.url, userToken, 'GET', `/users/${userId}/appointments?filter=upcoming&limit=50`);
    const idx = (l.json.items as Appt[]).findIndex((x) => x.id === a.id);
    expect(idx).toBeGreaterThanOrEqual(0);
    // back to the top, then down idx rows
    tmux.send('k'.repeat(60), true);
    if (idx > 0) tmux.send('j'.repeat(idx), true);
    await tmux.waitFor((s) => s.split('\n').some((line) => line.startsWith('›') && line.includes(row(a))));
  }

  it('opens on the Upcoming tab with the customer’s appointments', async () => {
    const screen = await tmux.waitFor(row(upcoming[0]!), 20_000);
    expect(screen).toContain('Upcoming');
    expect(screen).toContain('History');
    expect(screen).toMatch(/online/);
    await tmux.waitFor('realtime connected', 10_000);
  });

  it('moves an appointment to tomorrow at the same time in 3 keys, with a visible countdown', async () => {
    await select(moveMe);
    let keys = 0;
    tmux.send('t');
    keys++;
    await tmux.waitFor(`Selected: ${row({ start: tomorrowStart, timezone: moveMe.timezone })}`);
    tmux.send('Enter');
    keys++;
    const first = await tmux.waitFor(/Reserved for \d\d:\d\d/);
    const secs = (s: string) => {
      const m = /Reserved for (\d\d):(\d\d)/.exec(s)!;
      return Number(m[1]) * 60 + Number(m[2]);
    };
    const t1 = secs(first);
    expect(t1).toBeGreaterThan(60);
    await new Promise((r) => setTimeout(r, 2100));
    const second = await tmux.waitFor(/Reserved for \d\d:\d\d/);
    expect(secs(second)).toBeLessThan(t1);
    expect(second).toContain('Confirm new time');
    tmux.send('Enter');
    keys++;
    await tmux.waitFor('Moved to');
    expect(keys).toBeLessThanOrEqual(4);
    // the list shows the new time
    await tmux.waitFor(row({ start: tomorrowStart, timezone: moveMe.timezone }));

    const got = await api(srv.url, srv.adminToken, 'GET', `/appointments/${moveMe.id}`);
    expect(got.json.start).toBe(tomorrowStart);
    expect(got.json.status).toBe('rescheduled');
    const audit = got.json.audit as {
      action: string;
      outcome: string;
      previousSlot: { start: string } | null;
      channel: string;
    }[];
    const last = audit.filter((e) => e.action === 'rescheduled' && e.outcome === 'applied').pop();
    expect(last?.previousSlot?.start).toBe(new Date(moveMe.start).toISOString());
    expect(last?.channel).toBe('tui');
  });

  it('cancels another appointment through the modal with the fee shown, in 2 keys', async () => {
    const other = upcoming.find((a) => a.id !== moveMe.id)!;
    await select(other);
    tmux.send('c');
    const modal = await tmux.waitFor(/Fee: .*Refund:/);
    expect(modal).toContain('No, keep');
    expect(modal).toContain('Yes, cancel');
    tmux.send('y');
    await tmux.waitFor('Cancelled · fee');
    const got = await api(srv.url, srv.adminToken, 'GET', `/appointments/${other.id}`);
    expect(got.json.status).toBe('cancelled');
    const audit = got.json.audit as { action: string; outcome: string }[];
    expect(audit.some((e) => e.action === 'cancelled' && e.outcome === 'applied')).toBe(true);
    upcoming = upcoming.filter((a) => a.id !== other.id);
  });

  it('shows a change made by a second client within 2 s without a key press', async () => {
    const c = upcoming.find((a) => a.id !== moveMe.id)!;
    const alts = await api(srv.url, srv.adminToken, 'GET', `/appointments/${c.id}/alternatives?kind=next`);
    const alt = alts.json.items[0];
    const hold = await api(srv.url, srv.adminToken, 'POST', '/reservations', {
      providerId: c.providerId,
      serviceId: c.serviceId,
      timeslotId: alt.timeslotId,
      appointmentId: c.id,
    });
    expect(hold.status, JSON.stringify(hold.json)).toBe(201);
    await tmux.waitFor(row(c), 5000);
    const t0 = Date.now();
    const r = await api(
      srv.url,
      srv.adminToken,
      'POST',
      `/appointments/${c.id}/reschedule`,
      { reservationToken: hold.json.reservationToken },
      { 'idempotency-key': `e2e-${c.id}` },
    );
    expect(r.status).toBe(200);
    await tmux.waitFor(row({ start: alt.start, timezone: c.timezone }), 2000, 20);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('adapts to the terminal size: at 80×24 everything fits and the dates get shorter', async () => {
    tmux.resize(80, 24);
    // the appointment cancelled above left Upcoming, so nothing is selected: k selects a row
    tmux.send('k');
    const screen = await tmux.waitFor((s) => /› \w{3} \d\d \w{3} \d\d:\d\d/.test(s), 5000);
    const lines = screen.replace(/\n+$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(screen).toContain('Upcoming');
    expect(screen).toMatch(/● online/);
  });

  it('q quits cleanly and restores the terminal', async () => {
    tmux.send('?');
    await tmux.waitFor('Keys');
    tmux.send('Escape');
    await tmux.waitFor((s) => !s.includes('Keys') && s.includes('Upcoming'));
    tmux.send('q');
    const deadline = Date.now() + 5000;
    while (!tmux.dead().dead && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(tmux.dead(), tmux.capture()).toEqual({ dead: true, status: 0 });
    // the alternate screen is gone: the list is no longer on the pane
    await tmux.waitFor((s) => !s.includes('Upcoming'), 2000);
  });
});

describe.skipIf(!haveTmux)(
  'appt tui offline in tmux: snapshot banner, queued cancel, replay when the server is back',
  () => {
    let srv: ServerProcess;
    let dataDir: string;
    let home: string;
    let tmux: TmuxSession;
    let token: string;
    let target: Appt;

    beforeAll(async () => {
      srv = await startServerProcess({ args: ['--demo'] });
      dataDir = srv.dataDir;
      home = mkdtempSync(join(tmpdir(), 'appt-tui-home-'));
      const users = await api(srv.url, srv.adminToken, 'GET', '/admin/users?limit=50');
      for (const u of users.json.items as { id: string }[]) {
        const l = await api(
          srv.url,
          srv.adminToken,
          'GET',
          `/users/${u.id}/appointments?filter=upcoming&limit=50`,
        );
        if (l.json.items.length) {
          target = l.json.items[0];
          break;
        }
      }
      const tok = await api(srv.url, srv.adminToken, 'POST', '/admin/tokens', {
        name: 'tui-offline',
        role: 'user',
        userId: target.userId,
      });
      token = tok.json.token;
      tmux = new TmuxSession('tui-offline', { cols: 100, rows: 30 });
      tmux.start(
        [process.execPath, BIN, 'tui'],
        { APPT_SERVER: srv.url, APPT_TOKEN: token, APPT_HOME: home },
        ROOT,
      );
    }, 120_000);

    afterAll(async () => {
      tmux?.kill();
      await srv?.stop();
      await srv?.cleanup();
      if (home) rmSync(home, { recursive: true, force: true });
    });

    it('goes offline with the banner, queues a cancel, and replays it with the same key', async () => {
      await tmux.waitFor(row(target), 20_000);
      await tmux.waitFor('realtime connected', 10_000);
      const port = new URL(srv.url).port;
      await srv.stop();
      const off = await tmux.waitFor((x) => x.includes('offline — as of') && x.includes('● offline'), 15_000);
      expect(off).toContain(row(target));
      tmux.send('c');
      await tmux.waitFor('Fee unknown while offline');
      tmux.send('y');
      const queued = await tmux.waitFor('queued cancel');
      expect(queued).toContain('queue 1');
      expect(queued).not.toContain('Cancelled ·');
      // queued in the queue file the CLI shares, so `appt queue list|replay` sees it too
      const readQueue = () => {
        try {
          return JSON.parse(readFileSync(join(home, 'queue.json'), 'utf8')).items ?? [];
        } catch {
          return [];
        }
      };
      for (let i = 0; i < 100 && readQueue().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      const saved = { queue: readQueue() };
      expect(saved.queue).toHaveLength(1);
      expect(saved.queue[0]).toMatchObject({ kind: 'cancel', appointmentId: target.id, server: srv.url });
      const key = saved.queue[0].idempotencyKey as string;
      // the server comes back on the same port and data directory
      srv = await startServerProcess({ dataDir, args: ['--port', port] });
      await tmux.waitFor('Replayed 1 queued', 20_000);
      await tmux.waitFor('queue 0');
      const got = await api(srv.url, srv.adminToken, 'GET', `/appointments/${target.id}`);
      expect(got.json.status).toBe('cancelled');
      const audit = got.json.audit as {
        action: string;
        outcome: string;
        channel: string;
        idempotencyKey: string;
      }[];
      const c = audit.find((e) => e.action === 'cancelled' && e.outcome === 'applied');
      expect(c?.channel).toBe('tui');
      expect(c?.idempotencyKey).toBe(key);
    }, 90_000);
  },
);
