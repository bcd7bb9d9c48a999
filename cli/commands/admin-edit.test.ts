import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../../server/testing/harness.js';
import { EXIT } from '../exit-codes.js';
import { bufferIO } from '../io.js';
import { run } from '../main.js';

/**
 * `appt admin … edit|remove` and `users add` against the real app on a port, run through
 * the program in-process (the factory builds the client from APPT_SERVER / APPT_TOKEN).
 */
let h: Harness;
let home: string;
let url: string;
beforeAll(async () => {
  h = await makeHarness({ listen: true });
  const a = h.app.server.address();
  url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  home = mkdtempSync(join(tmpdir(), 'appt-admin-'));
});
afterAll(async () => {
  await h.close();
  rmSync(home, { recursive: true, force: true });
});

async function appt(...args: string[]) {
  const io = bufferIO({
    env: { APPT_HOME: home, APPT_SERVER: url, APPT_TOKEN: h.tokens.admin, NO_COLOR: '1' },
  });
  const code = await run(['node', 'appt', ...args], io);
  process.exitCode = 0;
  const docs = io.stdout.split('\n').filter((l) => l.trim());
  return {
    code,
    stdout: io.stdout,
    stderr: io.stderr,
    json: () => {
      expect(docs).toHaveLength(1);
      return JSON.parse(docs[0]!);
    },
  };
}

describe('appt admin services edit|remove', () => {
  it('edits a service for new bookings', async () => {
    const r = await appt(
      'admin',
      'services',
      'edit',
      h.ids.service60,
      '--price',
      '9500',
      '--title',
      'Long one',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`service ${h.ids.service60} Long one: 60 min, 95.00 USD\n`);
    const on = await appt(
      'admin',
      'services',
      'edit',
      h.ids.service60,
      '--requires-approval',
      '--free-until-hours',
      '12',
      '--fee',
      '700',
      '--json',
    );
    expect(on.json()).toMatchObject({
      requiresApproval: true,
      cancellation: { freeUntilHoursBefore: 12, feeCents: 700 },
    });
    const off = await appt(
      'admin',
      'services',
      'edit',
      h.ids.service60,
      '--no-requires-approval',
      '--no-cancellation-fee',
      '--json',
    );
    expect(off.json()).toMatchObject({ requiresApproval: false, cancellation: null });
    const none = await appt('admin', 'services', 'edit', h.ids.service60);
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toMatch(/nothing to change/);
  });

  it('refuses to remove a service with an active appointment: exit 1, one JSON document naming the count', async () => {
    const a = await bookVia(h, (await slotsOf(h, '2030-01-08')).timeslots[0].id);
    const r = await appt('admin', 'services', 'remove', h.ids.service, '--json');
    expect(r.code).toBe(EXIT.failed);
    expect(r.json()).toMatchObject({
      error: { code: 'has_active_appointments', status: 409, activeAppointments: 1, exitCode: 1 },
    });
    expect(r.stderr).toMatch(/has_active_appointments: service .* has 1 active appointment\(s\)/);
    const c = await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/cancel`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'admin-cli-cancel' }),
      payload: {},
    });
    expect(c.statusCode).toBe(200);
    const ok = await appt('admin', 'services', 'remove', h.ids.service);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^removed service ${h.ids.service} \\(kept for history`));
    const list = await appt('admin', 'services', 'list', '--provider', h.ids.provider, '--json');
    expect(list.json().items.map((s: { id: string }) => s.id)).not.toContain(h.ids.service);
  });
});

describe('appt admin providers edit|remove, time-off remove', () => {
  it('adds, renames and removes a provider; adds and removes time off', async () => {
    const p = (
      await appt('admin', 'providers', 'add', '--name', 'Dr. Temp', '--timezone', 'Europe/Oslo', '--json')
    ).json();
    const renamed = await appt('admin', 'providers', 'edit', p.id, '--name', 'Dr. Temporary', '--json');
    expect(renamed.json()).toMatchObject({ id: p.id, name: 'Dr. Temporary', timezone: 'Europe/Oslo' });
    const t = (
      await appt(
        'admin',
        'time-off',
        'add',
        '--provider',
        p.id,
        '--start',
        '2030-02-01T09:00:00Z',
        '--end',
        '2030-02-01T12:00:00Z',
        '--json',
      )
    ).json();
    const gone = await appt('admin', 'time-off', 'remove', t.id, '--provider', p.id);
    expect(gone.code).toBe(0);
    expect(gone.stdout).toMatch(`removed time off ${t.id}`);
    expect((await appt('admin', 'time-off', 'list', '--provider', p.id, '--json')).json().items).toEqual([]);
    const removed = await appt('admin', 'providers', 'remove', p.id, '--json');
    expect(removed.json()).toMatchObject({ id: p.id, removed: true });
    const list = (await appt('admin', 'providers', 'list', '--json')).json();
    expect(list.items.map((x: { id: string }) => x.id)).not.toContain(p.id);
  });
});

describe('appt admin users add', () => {
  it('an email that exists is refused by the server (email_taken, exit 1); --upsert reuses that customer', async () => {
    const dup = await appt(
      'admin',
      'users',
      'add',
      '--name',
      'Alice Two',
      '--email',
      'Alice@Example.com',
      '--json',
    );
    expect(dup.code).toBe(EXIT.failed);
    expect(dup.json()).toMatchObject({ error: { code: 'email_taken', status: 409, userId: h.ids.alice } });
    const up = await appt(
      'admin',
      'users',
      'add',
      '--name',
      'Alice Two',
      '--email',
      'Alice@Example.com',
      '--upsert',
      '--json',
    );
    expect(up.code).toBe(0);
    expect(up.json()).toMatchObject({ id: h.ids.alice, name: 'Alice Doe', existing: true });
    expect(up.stderr).toMatch(/is named "Alice Doe" \(kept as it is\)/);
    const fresh = await appt('admin', 'users', 'add', '--name', 'Cleo', '--email', 'cleo@example.com');
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/^user \S+ Cleo\n$/);
  });
});
