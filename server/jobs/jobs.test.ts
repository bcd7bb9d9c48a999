import { existsSync, readdirSync } from 'node:fs';
import { stmt } from '../db/open.js';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signatureHeader } from '../webhooks/signature.js';
import { bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import { startJobs } from './index.js';
import { prune, pruneOutbox } from './prune.js';
import { jobDeps } from './testing.js';

let h: Harness;
beforeEach(async () => {
  h = await makeHarness({ config: { smtpUrl: undefined } });
});
afterEach(async () => {
  await h.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startJobs (inline mode: the same job functions on timers, as under tsx)', () => {
  it('delivers a booking to .eml files, exports the calendar, and stops cleanly', async () => {
    const jobs = await startJobs(h.ctx, { mode: 'inline' });
    try {
      expect(jobs.running()).toBe(true);
      await bookVia(h, (await slotsOf(h, '2030-01-08')).timeslots[0].id);
      const mail = join(h.dir, 'mail');
      for (let i = 0; i < 100 && !(existsSync(mail) && readdirSync(mail).length === 2); i++) await sleep(50);
      expect(readdirSync(mail)).toHaveLength(2);
      expect(existsSync(join(h.dir, 'exports', `${h.ids.provider}.ics`))).toBe(true);
    } finally {
      await jobs.stop();
    }
    expect(jobs.running()).toBe(false);
  });
});

describe('pruning', () => {
  it('drops done outbox events past retention, expired idempotency keys and old signatures; keeps pending', async () => {
    const db = h.ctx.db;
    const now = h.clock.now();
    const day = 86_400_000;
    await stmt(
      db,
      `INSERT INTO outbox (id, topic, payload, status, attempts, next_attempt_at, created_at, processed_at) VALUES
        ('old-done', 't', '{}', 'done', 1, 0, ?, ?), ('new-done', 't', '{}', 'done', 1, 0, ?, ?),
        ('old-pending', 't', '{}', 'pending', 0, 0, ?, NULL)`,
    ).run(now - 8 * day, now - 8 * day, now - day, now - day, now - 8 * day);
    await stmt(db, 'INSERT INTO webhook_signatures (signature, received_at) VALUES (?, ?), (?, ?)').run(
      'old',
      now - 26 * 60_000, // signatures are remembered 25 minutes (both signing windows)
      'new',
      now - 60_000,
    );
    const r = await prune(jobDeps(h));
    expect(r.outbox).toBe(1);
    expect(r.signatures).toBe(1);
    expect(await stmt(db, `SELECT id FROM outbox WHERE id LIKE '%-%' ORDER BY id`).all()).toEqual([
      { id: 'new-done' },
      { id: 'old-pending' },
    ]);
    expect(await pruneOutbox(jobDeps(h))).toBe(0);
    // a pruned signature whose timestamp is old is still refused, as stale
    const body = '{"providerId":"x","busy":[],"removed":[]}';
    const res = await h.app.inject({
      method: 'POST',
      url: '/webhooks/calendar',
      headers: {
        'content-type': 'application/json',
        'appt-signature': signatureHeader(h.ctx.config.webhookSecret, body, now - 11 * 60_000),
      },
      payload: body,
    });
    expect(res.json().code).toBe('stale_signature');
  });
});
