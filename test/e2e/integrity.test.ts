import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteOf } from '../../server/db/open.js';
import { QUICK_IN_THREAD_BYTES } from '../../server/ops/checks.js';
import { fillAppointments } from '../../server/testing/bigdb.js';
import { makeHarness } from '../../server/testing/harness.js';
import { startServerProcess } from '../server-process.js';
import { appt, tempHome } from './cli-helpers.js';

/**
 * Issue 12, item 6: with a damaged page `appt admin check` exited 0 and /readyz said
 * ready; and /readyz's write check (an empty transaction) wrote nothing, so a disk that
 * refuses writes was ready too. Real `bin/appt serve` and `bin/appt admin check` processes.
 */
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function readyz(url: string, query = '') {
  const r = await fetch(`${url}/readyz${query}`);
  return { status: r.status, body: (await r.json()) as { ok: boolean; checks: Record<string, boolean> } };
}

/** prlimit (util-linux, in every Debian): absent locally → say so and skip; under CI=true → fail. */
function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('prlimit (util-linux) is needed under CI=true');
    console.log('prlimit is not installed: skipping the disk-refuses-writes test');
    return false;
  }
}

// SQLite files (the PostgreSQL write check is in server/ops/checks-pg.test.ts)
describe('12.6 corruption is detected', () => {
  it('6. corruption is detected: garbage over an index page in the middle of the file makes `appt admin check` exit 1 (integrity) and /readyz 503', async () => {
    // a real database with enough data (bigger than the in-thread quick_check limit, so the
    // server's start-up quick_check runs in its worker), closed cleanly (WAL folded in)
    const h = await makeHarness();
    cleanups.push(() => rmSync(h.dir, { recursive: true, force: true }));
    await fillAppointments(h.ctx.db, {
      n: 8_000,
      providerId: h.ids.provider,
      serviceId: h.ids.service,
      userId: h.ids.alice,
      before: h.clock.now(),
    });
    const sqlite = sqliteOf(h.ctx.db);
    const pageSize = Number(sqlite.pragma('page_size', { simple: true }));
    // a leaf page of an index that neither start-up nor the invariant queries read: only
    // SQLite's own check can find it (the old check passed with it, the report)
    const pages = sqlite
      .prepare(
        "SELECT pageno FROM dbstat WHERE name = 'appointments_user_start' AND pagetype = 'leaf' ORDER BY pageno",
      )
      .all() as { pageno: number }[];
    expect(pages.length).toBeGreaterThan(10);
    const page = pages[Math.floor(pages.length / 2)].pageno;
    await h.app.close();
    await h.ctx.db.close();
    const file = join(h.dir, 'appt.db');
    expect(statSync(file).size).toBeGreaterThan(QUICK_IN_THREAD_BYTES);
    expect(page).toBeGreaterThan(5);
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (page - 1) * pageSize);
    closeSync(fd);
    writeFileSync(join(h.dir, 'admin.token'), h.tokens.admin, { mode: 0o600 });

    const srv = await startServerProcess({ dataDir: h.dir, args: ['--no-jobs'] });
    cleanups.push(() => srv.stop());
    const ready = await readyz(srv.url);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      ok: false,
      checks: { database: true, integrity: false, migrations: true },
    });
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);

    const env = { APPT_HOME: tempHome(), APPT_SERVER: srv.url, APPT_TOKEN: h.tokens.admin };
    cleanups.push(() => rmSync(env.APPT_HOME, { recursive: true, force: true }));
    const check = await appt(['admin', 'check'], env);
    expect(check.exitCode).toBe(1);
    expect(check.stderr).toMatch(/check failed \(1 problem\): integrity: the database file is damaged: \S/);
    const json = await appt(['admin', 'check', '--json'], env);
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(json.stdout).problems).toEqual([
      { kind: 'integrity', detail: expect.stringMatching(/^the database file is damaged: /) },
    ]);
    // asked again (a fresh run, not the cache), still not ready
    expect((await readyz(srv.url, '?full=1')).body.checks.integrity).toBe(false);
  }, 180_000);

  it.skipIf(!hasPrlimit())(
    '6. corruption is detected: a server whose disk refuses writes is not ready (503, checks.database=false), and ready again once it takes them',
    async () => {
      const srv = await startServerProcess({ args: ['--no-jobs'] });
      cleanups.push(() => srv.cleanup());
      cleanups.push(() => srv.stop());
      expect((await readyz(srv.url)).status).toBe(200);
      // RLIMIT_FSIZE of 1 byte on the running server: every write(2) to a regular file past
      // offset 1 fails with EFBIG (Node ignores SIGXFSZ), as a full disk fails it with
      // ENOSPC; reads still work. As root, chmod would not stop the server; this does.
      const pid = String(srv.child.pid);
      execFileSync('prlimit', ['--pid', pid, '--fsize=1:']);
      let refused: Awaited<ReturnType<typeof readyz>>;
      try {
        refused = await readyz(srv.url);
        expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
      } finally {
        execFileSync('prlimit', ['--pid', pid, '--fsize=unlimited:']);
      }
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ ok: false, checks: { database: false, integrity: true } });
      expect(await readyz(srv.url)).toEqual({
        status: 200,
        body: { ok: true, checks: { database: true, integrity: true, migrations: true, jobs: true } },
      });
    },
    120_000,
  );
});
