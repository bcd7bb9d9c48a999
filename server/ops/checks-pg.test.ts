import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAudit } from '../audit/audit.js';
import { openPg } from '../db/open.js';
import { checkInvariants } from '../invariants/check.js';
import { auth, bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import { freshPgDatabase, requirePg } from '../testing/pg.js';
import { CheckRunner } from './checks.js';
import { writeProbe } from './readiness.js';

/**
 * Items 12.5 and 12.6 on PostgreSQL: the checks run in a worker with its own small pool
 * from the same URL; /readyz's write check commits a transaction with an id and refuses a
 * read-only database; there is no integrity_check, so `checks.integrity` is left out.
 */
const present = requirePg('server/ops/checks-pg.test.ts');

describe.skipIf(!present)('12.5 / 12.6 on PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let h: Harness;
  beforeAll(async () => {
    db = await freshPgDatabase();
    h = await makeHarness({ config: { databaseUrl: db.url } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await db?.drop();
  });

  it('5. expensive checks do not stop the server (PostgreSQL): GET /admin/check and /admin/audit/verify run in a worker on its own pool, with the in-thread answers', async () => {
    const slots = (await slotsOf(h, '2030-01-08')).timeslots;
    await bookVia(h, slots[0].id);
    await bookVia(h, slots[2].id);
    expect(new CheckRunner(h.ctx).where('check')).toBe('worker');
    const check = await h.app.inject({ method: 'GET', url: '/admin/check', headers: auth(h.tokens.admin) });
    expect(check.statusCode).toBe(200);
    expect(check.json()).toEqual(await checkInvariants(h.ctx.db, h.clock.now(), { holdGraceMs: 5_000 }));
    expect(check.json().ok).toBe(true);
    const verify = await h.app.inject({
      method: 'GET',
      url: '/admin/audit/verify',
      headers: auth(h.tokens.support),
    });
    expect(verify.statusCode).toBe(200);
    expect(verify.json()).toEqual(await verifyAudit(h.ctx.db));
  });

  it('6. corruption is detected (PostgreSQL): /readyz writes for real and leaves integrity out; a read-only database is not writable', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ ok: true, checks: { database: true, migrations: true, jobs: true } });
    const name = new URL(db.url).pathname.slice(1);
    await h.ctx.db.run(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
    const ro = await openPg(db.url, { migrate: false, max: 1 });
    try {
      await expect(writeProbe(ro)).rejects.toThrow(/read-only/);
    } finally {
      await ro.close();
      await h.ctx.db.run(`ALTER DATABASE ${name} RESET default_transaction_read_only`);
    }
  });
});
