import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, seedCatalog, startServerProcess } from '../server-process.js';
import { appt, bookMany, json, tempHome } from './cli-helpers.js';

// Who, in words: appt show / appt audit / appt admin audit name the actor ("desk, staff"),
// keep the id in --json, and --actor takes a name.

const dataDir = mkdtempSync(join(tmpdir(), 'appt-audit-'));
let srv: ServerProcess;
beforeAll(async () => {
  srv = await startServerProcess({ dataDir, args: ['--port', '0'] });
}, 120_000);
afterAll(async () => {
  await srv?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('audit views name the actor', () => {
  it('show, audit and admin audit say "desk, staff"; --actor takes a name', {
    timeout: 120_000,
  }, async () => {
    const cat = await seedCatalog(srv.url, srv.adminToken);
    const [a] = await bookMany(
      srv.url,
      cat.staff,
      { providerId: cat.providerId, serviceId: cat.s30, userId: cat.userId },
      1,
      5,
    );
    const staff = { APPT_HOME: tempHome(), APPT_SERVER: srv.url, APPT_TOKEN: cat.staff };
    const admin = { APPT_HOME: tempHome(), APPT_SERVER: srv.url, APPT_TOKEN: srv.adminToken };
    expect((await appt(['cancel', a!.id, '--yes', '--reason', 'customer called'], staff)).exitCode).toBe(0);

    const trail = await appt(['audit', a!.id], staff);
    expect(trail.stdout).toMatch(/^WHEN \(America\/New_York\)\tACTION\tOUTCOME\tBY/m);
    expect(trail.stdout).toMatch(/\tcancelled\tapplied\tdesk, staff\tcli\t/);
    const trailJson = json((await appt(['audit', a!.id, '--json'], staff)).stdout).items;
    const cancelled = trailJson.find((e: { action: string }) => e.action === 'cancelled');
    expect(cancelled).toMatchObject({ by: 'desk, staff', actor: { name: 'desk', role: 'staff' } });
    expect(cancelled.actor.id).toMatch(/^token:/);

    const shown = await appt(['show', a!.id], staff);
    expect(shown.stdout).toMatch(/cancelled\tapplied\tdesk, staff/);
    expect(shown.stdout).toMatch(
      /^when\s+\w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2}–\d{2}:\d{2} America\/New_York$/m,
    );

    const byName = await appt(['admin', 'audit', '--actor', 'desk', '--since', '1h', '--json'], admin);
    expect(byName.exitCode, byName.stderr).toBe(0);
    const items = json(byName.stdout).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((e: { actor: { id: string } }) => e.actor.id === cancelled.actor.id)).toBe(true);
    const human = await appt(['admin', 'audit', '--actor', 'desk', '--since', '7d'], {
      ...admin,
      TZ: 'Europe/London',
    });
    expect(human.stdout).toMatch(/^WHEN \(Europe\/London\)/m);
    expect(human.stdout).toContain(a!.id);
    const unknown = await appt(['admin', 'audit', '--actor', 'nobody at all'], admin);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/no token or customer is called "nobody at all"/);
    expect((await appt(['admin', 'audit', '--since', 'last tuesday'], admin)).exitCode).toBe(2);

    // admin: an existing email is refused, or reused with --upsert; weekdays read as hours set takes them
    const dup = await appt(
      ['admin', 'users', 'add', '--name', 'Racer Two', '--email', 'RACER@example.com'],
      admin,
    );
    expect(dup.exitCode).toBe(1);
    expect(dup.stderr).toMatch(new RegExp(`email RACER@example.com exists already: ${cat.userId}`));
    const up = await appt(
      ['admin', 'users', 'add', '--name', 'Racer', '--email', 'racer@example.com', '--upsert', '--json'],
      admin,
    );
    expect(up.exitCode).toBe(0);
    expect(json(up.stdout)).toMatchObject({ id: cat.userId, existing: true });
    const hours = await appt(['admin', 'hours', 'show', '--provider', cat.providerId], admin);
    expect(hours.stdout).toMatch(/^mon\t09:00\t17:00$/m);
    expect(hours.stdout).toMatch(/^as --hours: mon-sun=09:00-17:00$/m);
  });
});
