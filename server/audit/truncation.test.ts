import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stmt } from '../db/open.js';
import { checkInvariants } from '../invariants/check.js';
import { auth, bookVia, type Harness, holdVia, makeHarness, slotsOf } from '../testing/harness.js';
import { verifyAudit } from './audit.js';
import { removeTail, threeEntries } from './testing.js';

// Restoring a truncated backup is refused: truncation-restore.test.ts (the SQLite file).

let h: Harness;
beforeEach(async () => {
  h = await makeHarness();
});
afterEach(async () => {
  await h.close();
});

describe('12.9 audit truncation is detected', () => {
  it('deleting the newest entries of a chain (trigger dropped and recreated) fails verify, naming the chain', async () => {
    const id = await threeEntries(h);
    expect(await verifyAudit(h.ctx.db)).toMatchObject({ ok: true, chains: 2 });
    await removeTail(h.ctx.db, id, 2);
    // what is left is a valid chain on its own: only the anchored head shows the loss
    const v = await verifyAudit(h.ctx.db, id);
    expect(v).toMatchObject({ ok: false, subject: id, problem: 'truncated' });
    expect(v.detail).toMatch(/ends after 1 entries .* head records 3: the newest 2 were removed/);
    const http = await h.app.inject({
      method: 'GET',
      url: '/admin/audit/verify',
      headers: auth(h.tokens.support),
    });
    expect(http.json()).toMatchObject({ ok: false, subject: id, problem: 'truncated' });
    const check = await checkInvariants(h.ctx.db, h.clock.now());
    expect(check.problems).toContainEqual(expect.objectContaining({ kind: 'audit_chain', id }));
  });

  it('verifying while the server writes never reports a false truncation (no snapshot needed)', async () => {
    const slots = (await slotsOf(h, '2030-01-21')).timeslots;
    const existing = await bookVia(h, slots[0].id);
    // a database whose first audit read is followed, before the next read, by commits
    // elsewhere: a new appointment (a new chain) and a cancel (an existing chain grows)
    const real = h.ctx.db;
    let between: (() => Promise<unknown>) | null = async () => {
      await bookVia(h, slots[2].id);
      await h.app.inject({
        method: 'POST',
        url: `/appointments/${existing.id}/cancel`,
        headers: auth(h.tokens.staff, { 'idempotency-key': 'between' }),
        payload: {},
      });
    };
    const racing = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'all') return Reflect.get(target, prop, receiver);
        return async (sql: string, params?: never) => {
          const rows = await target.all(sql, params);
          const run = between;
          between = null;
          if (run) await run();
          return rows;
        };
      },
    });
    expect(await verifyAudit(racing)).toMatchObject({ ok: true });
    expect(between).toBeNull(); // the writes did land between the reads
    expect(await verifyAudit(real)).toMatchObject({ ok: true, chains: 3 });
  });

  it('a chain removed whole is detected by its head', async () => {
    const id = await threeEntries(h);
    await removeTail(h.ctx.db, id, 3);
    expect(await verifyAudit(h.ctx.db)).toMatchObject({ ok: false, subject: id, problem: 'truncated' });
  });

  it('heads only move forward: the database refuses to delete one or move it back', async () => {
    const id = await threeEntries(h);
    const db = h.ctx.db;
    expect(await stmt(db, 'SELECT entries FROM audit_heads WHERE subject = ?').get(id)).toEqual({
      entries: 3,
    });
    await expect(stmt(db, 'DELETE FROM audit_heads WHERE subject = ?').run(id)).rejects.toThrow(
      /only move forward/,
    );
    await expect(stmt(db, 'UPDATE audit_heads SET entries = 1 WHERE subject = ?').run(id)).rejects.toThrow(
      /only move forward/,
    );
    await expect(
      stmt(
        db,
        "UPDATE audit_heads SET last_hash = 'x', entries = entries + 1, last_seq = 1 WHERE subject = ?",
      ).run(id),
    ).rejects.toThrow(/only move forward/);
  });
});

describe('12.10 the audit records the server request id beside the client one', () => {
  it("a client's X-Request-Id is kept as clientRequestId; requestId is the server's own (the response header)", async () => {
    const slots = (await slotsOf(h, '2030-01-20')).timeslots;
    const hold = await holdVia(
      h,
      { timeslotId: slots[0].id, userId: h.ids.alice },
      { token: h.tokens.alice },
    );
    const res = await h.app.inject({
      method: 'POST',
      url: '/bookings',
      headers: auth(h.tokens.alice, { 'idempotency-key': 'b1', 'x-request-id': 'client-7' }),
      payload: { reservationToken: hold.json().reservationToken, userId: h.ids.alice },
    });
    expect(res.statusCode, res.body).toBe(201);
    const serverId = String(res.headers['x-request-id']);
    expect(serverId).not.toBe('client-7');
    const audit = await h.app.inject({
      method: 'GET',
      url: `/appointments/${res.json().id}/audit`,
      headers: auth(h.tokens.alice),
    });
    expect(audit.json().items[0]).toMatchObject({ requestId: serverId, clientRequestId: 'client-7' });
    const row = await stmt<{ request_id: string; client_request_id: string }>(
      h.ctx.db,
      'SELECT request_id, client_request_id FROM audit_entries WHERE subject = ?',
    ).get(res.json().id);
    expect(row).toEqual({ request_id: serverId, client_request_id: 'client-7' });
    // the client's id is part of the hashed content: editing it breaks the chain
    expect(await verifyAudit(h.ctx.db)).toMatchObject({ ok: true });
  });
});
