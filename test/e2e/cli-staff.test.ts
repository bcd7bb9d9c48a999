import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type ServerProcess, startServerProcess } from '../server-process.js';
import { appt, book, dayFromNow, json, slots, tempHome } from './cli-helpers.js';

// appt confirm | complete | no-show | attention clear against a real server.

const dataDir = mkdtempSync(join(tmpdir(), 'appt-staff-'));
let srv: ServerProcess;
beforeAll(async () => {
  srv = await startServerProcess({ dataDir, args: ['--port', '0'] });
}, 120_000);
afterAll(async () => {
  await srv?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('staff actions from the CLI', () => {
  it('confirm, attention clear, and complete/no-show refused before the start', {
    timeout: 120_000,
  }, async () => {
    const admin = srv.adminToken;
    const p = (
      await api(srv.url, admin, 'POST', '/admin/providers', {
        name: 'Approval Clinic',
        timezone: 'Europe/London',
      })
    ).json;
    await api(
      srv.url,
      admin,
      'PUT',
      `/admin/providers/${p.id}/hours`,
      [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
    );
    const svc = (
      await api(srv.url, admin, 'POST', '/admin/services', {
        providerId: p.id,
        title: 'Consult',
        durationMinutes: 30,
        priceCents: 1000,
        requiresApproval: true,
      })
    ).json;
    const user = (
      await api(srv.url, admin, 'POST', '/admin/users', {
        name: 'Ada Okafor',
        email: 'ada.staff@example.com',
      })
    ).json;
    const staff = (await api(srv.url, admin, 'POST', '/admin/tokens', { name: 'front desk', role: 'staff' }))
      .json.token;
    const env = { APPT_HOME: tempHome() };
    expect((await appt(['login', '--server', srv.url, '--token', staff], env)).exitCode).toBe(0);
    const s = await slots(srv.url, staff, p.id, svc.id, dayFromNow(4, 'Europe/London'));
    const a = await book(srv.url, staff, {
      providerId: p.id,
      serviceId: svc.id,
      userId: user.id,
      timeslotId: s[0]!.id,
    });
    expect(a.status).toBe('upcoming');

    const c = await appt(['confirm', a.id], env);
    expect(c.exitCode, c.stderr).toBe(0);
    expect(c.stdout).toMatch(
      new RegExp(
        `^confirmed ${a.id}: Ada Okafor, Consult with Approval Clinic, \\w{3} \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} Europe/London — now confirmed$`,
      ),
    );
    expect((await api(srv.url, staff, 'GET', `/appointments/${a.id}`)).json.status).toBe('confirmed');
    const again = await appt(['confirm', a.id, '--json'], env);
    expect(again.exitCode).toBe(0);
    expect(json(again.stdout).appointment.status).toBe('confirmed');

    for (const cmd of ['complete', 'no-show']) {
      const r = await appt([cmd, a.id, '--json'], env);
      expect(r.exitCode).toBe(1);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      expect(json(r.stdout).error).toMatchObject({ code: 'policy_violation', exitCode: 1 });
      expect(r.stderr).toMatch(/only once it has started/);
    }

    await api(srv.url, staff, 'POST', `/appointments/${a.id}/attention`, {
      needsAttention: true,
      reason: 'calendar busy',
    });
    const shown = await appt(['show', a.id], env);
    expect(shown.stdout).toMatch(/needs attention: calendar busy/);
    const cl = await appt(['attention', 'clear', a.id, '--json'], env);
    expect(cl.exitCode).toBe(0);
    expect(json(cl.stdout)).toMatchObject({ outcome: 'applied', appointment: { needsAttention: false } });
    const cl2 = await appt(['attention', 'clear', a.id], env);
    expect(cl2.exitCode).toBe(0);
    expect(cl2.stderr).toMatch(/nothing changed/);

    expect((await appt(['confirm', 'no-such-id'], env)).exitCode).toBe(1);
    expect((await appt(['confirm', a.id], { APPT_HOME: env.APPT_HOME, APPT_TOKEN: 'bad' })).exitCode).toBe(4);
    const help = await appt(['attention', 'clear', '--help']);
    expect(help.stdout).toMatch(/Examples:\n {2}appt attention clear/);
  });

  it('reschedule --tomorrow with no free slot names the date and offers the next free ones', {
    timeout: 120_000,
  }, async () => {
    const admin = srv.adminToken;
    const zone = 'Europe/Berlin';
    const p = (
      await api(srv.url, admin, 'POST', '/admin/providers', { name: 'Closed Tomorrow', timezone: zone })
    ).json;
    // open every day but tomorrow
    const tomorrow = dayFromNow(1, zone);
    const wd = ((new Date(`${tomorrow}T12:00:00Z`).getUTCDay() + 6) % 7) + 1;
    await api(
      srv.url,
      admin,
      'PUT',
      `/admin/providers/${p.id}/hours`,
      [1, 2, 3, 4, 5, 6, 7]
        .filter((d) => d !== wd)
        .map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
    );
    const svc = (
      await api(srv.url, admin, 'POST', '/admin/services', {
        providerId: p.id,
        title: 'Visit',
        durationMinutes: 30,
        priceCents: 1000,
      })
    ).json;
    const user = (
      await api(srv.url, admin, 'POST', '/admin/users', { name: 'Bo Lind', email: 'bo.closed@example.com' })
    ).json;
    const staff = (await api(srv.url, admin, 'POST', '/admin/tokens', { name: 'desk two', role: 'staff' }))
      .json.token;
    const s = await slots(srv.url, staff, p.id, svc.id, dayFromNow(3, zone));
    const a = await book(srv.url, staff, {
      providerId: p.id,
      serviceId: svc.id,
      userId: user.id,
      timeslotId: s[0]!.id,
    });
    const env = { APPT_HOME: tempHome(), APPT_SERVER: srv.url, APPT_TOKEN: staff };
    const r = await appt(['reschedule', a.id, '--tomorrow', '--yes'], env);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`no free Visit slot on \\w{3} ${tomorrow} \\(Europe/Berlin\\)`));
    expect(r.stderr).toMatch(
      /alternatives:\n {2}\d{4}-\d{2}-\d{2} \d{2}:\d{2} Europe\/Berlin \([+-][\d dhmin]+\) {2}--to ts_/,
    );
    const j = await appt(['reschedule', a.id, '--tomorrow', '--yes', '--json'], env);
    expect(json(j.stdout).error).toMatchObject({ code: 'no_free_slot', exitCode: 1 });
    expect(json(j.stdout).error.alternatives.length).toBeGreaterThan(0);
  });
});
