import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stmt } from '../db/open.js';
import { checkInvariants } from '../invariants/check.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import { disableTrigger } from '../testing/bypass.js';
import { verifyAudit } from './audit.js';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => {
  await h.close();
});

describe('audit log', () => {
  it('is append-only: the database refuses UPDATE and DELETE', async () => {
    const slots = (await slotsOf(h, '2030-01-20')).timeslots;
    await bookVia(h, slots[0].id);
    await expect(h.ctx.db.run("UPDATE audit_entries SET reason = 'x'")).rejects.toThrow(/append-only/);
    await expect(h.ctx.db.run('DELETE FROM audit_entries')).rejects.toThrow(/append-only/);
  });

  it('chains per appointment; verification finds the first altered entry', async () => {
    const slots = (await slotsOf(h, '2030-01-20')).timeslots;
    const a = await bookVia(h, slots[0].id);
    await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/cancel`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'c' }),
      payload: { reason: 'original reason' },
    });
    const ok = await h.app.inject({
      method: 'GET',
      url: '/admin/audit/verify',
      headers: auth(h.tokens.support),
    });
    expect(ok.json().ok).toBe(true);
    const n = ok.json().entries;
    expect(n).toBeGreaterThan(2);
    const trail = (
      await h.app.inject({ method: 'GET', url: `/appointments/${a.id}/audit`, headers: auth(h.tokens.staff) })
    ).json().items;
    expect(trail[0].prevHash).toBe('0'.repeat(64));
    expect(trail[1].prevHash).toBe(trail[0].hash);

    // someone with file access bypasses the trigger and rewrites history
    await disableTrigger(h.ctx.db, 'audit_entries', 'audit_entries_no_update');
    await stmt(h.ctx.db, "UPDATE audit_entries SET reason = 'rewritten' WHERE id = ?").run(trail[1].id);
    const bad = await h.app.inject({
      method: 'GET',
      url: '/admin/audit/verify',
      headers: auth(h.tokens.admin),
    });
    expect(bad.json()).toMatchObject({ ok: false, firstBadId: trail[1].id, problem: 'hash' });
    const check = await checkInvariants(h.ctx.db, h.clock.now());
    expect(check.ok).toBe(false);
    expect(check.problems.map((p) => p.kind)).toContain('audit_chain');
  });

  it('a removed entry breaks the chain of the entry after it', async () => {
    const slots = (await slotsOf(h, '2030-01-20')).timeslots;
    const a = await bookVia(h, slots[0].id);
    const r = await h.app.inject({
      method: 'POST',
      url: '/reservations',
      headers: auth(h.tokens.staff),
      payload: {
        providerId: h.ids.provider,
        serviceId: h.ids.service,
        timeslotId: slots[3].id,
        appointmentId: a.id,
      },
    });
    await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/reschedule`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'm' }),
      payload: { reservationToken: r.json().reservationToken },
    });
    await h.app.inject({
      method: 'POST',
      url: `/appointments/${a.id}/cancel`,
      headers: auth(h.tokens.staff, { 'idempotency-key': 'c' }),
      payload: {},
    });
    const entries = await stmt<{ id: string }>(
      h.ctx.db,
      'SELECT id FROM audit_entries WHERE subject = ? ORDER BY seq',
    ).all(a.id);
    expect(entries).toHaveLength(3);
    await disableTrigger(h.ctx.db, 'audit_entries', 'audit_entries_no_delete');
    await stmt(h.ctx.db, 'DELETE FROM audit_entries WHERE id = ?').run(entries[1].id);
    expect(await verifyAudit(h.ctx.db)).toMatchObject({ ok: false, firstBadId: entries[2].id });
  });

  it('admin audit search filters by appointment, action and time, newest first with a cursor', async () => {
    const slots = (await slotsOf(h, '2030-01-20')).timeslots;
    const a = await bookVia(h, slots[0].id);
    await bookVia(h, slots[1].id);
    const byAppt = await h.app.inject({
      method: 'GET',
      url: `/admin/audit?appointmentId=${a.id}`,
      headers: auth(h.tokens.support),
    });
    expect(byAppt.json().items).toHaveLength(1);
    const created = await h.app.inject({
      method: 'GET',
      url: '/admin/audit?action=created&limit=1',
      headers: auth(h.tokens.admin),
    });
    const page1 = created.json();
    expect(page1.items).toHaveLength(1);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = (
      await h.app.inject({
        method: 'GET',
        url: `/admin/audit?action=created&limit=1&cursor=${page1.nextCursor}`,
        headers: auth(h.tokens.admin),
      })
    ).json();
    expect(page2.items[0].seq).toBeLessThan(page1.items[0].seq);
    const none = await h.app.inject({
      method: 'GET',
      url: '/admin/audit?since=2031-01-01T00:00:00Z',
      headers: auth(h.tokens.admin),
    });
    expect(none.json().items).toEqual([]);
    const bad = await h.app.inject({
      method: 'GET',
      url: '/admin/audit?since=yesterday',
      headers: auth(h.tokens.admin),
    });
    expect(bad.statusCode).toBe(400);
  });
});
