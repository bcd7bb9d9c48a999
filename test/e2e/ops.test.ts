import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { execa } from 'execa';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { registerAdminOps } from '../../cli/commands/admin-ops.js';
import { CliError, EXIT } from '../../cli/exit-codes.js';
import { makeFactory } from '../../cli/factory.js';
import { bufferIO } from '../../cli/io.js';
import { sample } from '../../server/ops/prom-text.js';
import { api, BIN, type ServerProcess, seedCatalog, startServerProcess } from '../server-process.js';

/**
 * Operations against the real `bin/appt serve` process: SIGTERM in the middle of a burst,
 * restart, invariants; a backup taken during writes restores to a database that passes
 * `appt admin check`; --print-config and config errors.
 */
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** One request on its own connection (no keep-alive), so a refusal is a refused connection. */
function post(
  base: string,
  token: string,
  path: string,
  body: unknown,
  key: string,
): Promise<{ status: number; body: string; contentType: string; replayed: boolean } | { error: string }> {
  return new Promise((resolve) => {
    const data = JSON.stringify(body);
    const req = http.request(`${base}${path}`, {
      method: 'POST',
      agent: false,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(data),
        'idempotency-key': key,
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => {
        text += d;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: text,
          contentType: String(res.headers['content-type']),
          replayed: res.headers['idempotent-replayed'] === 'true',
        }),
      );
      res.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    });
    req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(data);
  });
}

/** The CLI's admin commands from cli/commands/admin-ops.ts, parsed by commander like `appt admin …`. */
async function admin(args: string[], env: Record<string, string> = {}) {
  const io = bufferIO({ env: { ...process.env, NO_COLOR: '1', ...env } });
  const program = new Command('appt').exitOverride();
  registerAdminOps(program.command('admin'), makeFactory(io, program));
  let code: number = EXIT.ok;
  try {
    await program.parseAsync(['node', 'appt', 'admin', ...args]);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    io.err(`appt: ${e.message}\n`);
    code = e.exitCode;
  }
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** The real `bin/appt admin …` as a separate process. */
async function appt(args: string[], env: Record<string, string> = {}) {
  const r = await execa('node', [BIN, 'admin', ...args], { env: { NO_COLOR: '1', ...env }, reject: false });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function slotsFor(
  srv: ServerProcess,
  staff: string,
  providerId: string,
  serviceId: string,
  days: string[],
) {
  const out: string[] = [];
  for (const d of days) {
    const r = await api(
      srv.url,
      staff,
      'GET',
      `/providers/${providerId}/availability?serviceId=${serviceId}&date=${d}`,
    );
    out.push(...(r.json.timeslots as { id: string }[]).map((s) => s.id));
  }
  return out;
}

const dayOffsets = (n: number) =>
  Array.from({ length: n }, (_, i) => new Date(Date.now() + (i + 2) * 86_400_000).toISOString().slice(0, 10));

describe('graceful shutdown (real server process)', () => {
  it('SIGTERM during a burst: every request completed or was refused cleanly; restart; invariants hold', async () => {
    const home = mkdtempSync(join(tmpdir(), 'appt-home-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    let srv = await startServerProcess({ env: { APPT_RATE_LIMIT_STAFF: '0' } });
    const dataDir = srv.dataDir;
    cleanups.push(() => srv.cleanup());
    cleanups.push(() => srv.stop());
    const cat = await seedCatalog(srv.url, srv.adminToken);
    const slots = (await slotsFor(srv, cat.staff, cat.providerId, cat.s30, dayOffsets(5))).slice(0, 80);
    expect(slots.length).toBe(80);
    expect(readdirSync(join(dataDir, 'run')).length).toBe(1);

    // a realtime subscriber: on shutdown it must get a proper close code (1001 going away)
    const rt = await api(srv.url, cat.staff, 'GET', '/realtime/config');
    const ws = new WebSocket(`ws://127.0.0.1:${new URL(srv.url).port}/app/${rt.json.key}?protocol=7`);
    const wsOpen = new Promise<void>((r, j) => {
      ws.once('message', () => r());
      ws.once('error', j);
    });
    const wsClosed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    await wsOpen;

    // 80 hold+book flows, 16 at a time; SIGTERM lands after the first 20 bookings answer
    type Outcome = Awaited<ReturnType<typeof post>>;
    const results: { hold?: Outcome; book?: Outcome }[] = slots.map(() => ({}));
    let answered = 0;
    let signalled = false;
    let killedAt = 0;
    const flow = async (i: number) => {
      const hold = await post(
        srv.url,
        cat.staff,
        '/reservations',
        { providerId: cat.providerId, serviceId: cat.s30, timeslotId: slots[i], userId: cat.userId },
        `burst-hold-${i}`,
      );
      results[i].hold = hold;
      if ('error' in hold || hold.status !== 201) return;
      const book = await post(
        srv.url,
        cat.staff,
        '/bookings',
        { reservationToken: JSON.parse(hold.body).reservationToken, userId: cat.userId },
        `burst-book-${i}`,
      );
      results[i].book = book;
      if (++answered === 20 && !signalled) {
        signalled = true;
        killedAt = Date.now();
        srv.child.kill('SIGTERM');
      }
    };
    let next = 0;
    const exited = new Promise<number | null>((r) => srv.child.once('exit', (code) => r(code)));
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < slots.length) await flow(next++);
      }),
    );
    expect(await exited).toBe(0);
    const drainMs = Date.now() - killedAt;
    expect(drainMs).toBeLessThan(10_000); // close-with-grace's bound
    expect(srv.stderr()).toMatch(/SIGTERM: shutting down/);
    expect(await wsClosed).toBe(1001);

    // every answer is a success or a clean refusal; every failure is at the connection
    const all = results.flatMap((r) => [r.hold, r.book]).filter((x): x is Outcome => x !== undefined);
    const tally: Record<string, number> = {};
    for (const o of all) {
      const k = 'error' in o ? `conn:${o.error}` : String(o.status);
      tally[k] = (tally[k] ?? 0) + 1;
      if ('error' in o) {
        expect(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'socket hang up']).toContain(o.error);
        continue;
      }
      // 503 problem+json: arrived while the server was closing, nothing done
      if (o.status === 503) expect(o.contentType).toContain('application/problem+json');
      else expect(o.status).toBe(201);
    }
    const completed = results.filter((r) => r.book && !('error' in r.book) && r.book.status === 201).length;
    expect(completed).toBeGreaterThanOrEqual(20);
    expect(completed).toBeLessThan(80);
    // the process left a whole database behind: WAL folded in, run file gone
    expect(existsSync(join(dataDir, 'appt.db-wal')) ? statSync(join(dataDir, 'appt.db-wal')).size : 0).toBe(
      0,
    );
    expect(readdirSync(join(dataDir, 'run'))).toEqual([]);

    const before = results.map((r) => ({ ...r }));
    // restart on the same data directory and finish the run with the same idempotency keys
    srv = await startServerProcess({ dataDir, env: { APPT_RATE_LIMIT_STAFF: '0' } });
    next = 0;
    answered = 1000; // no second signal
    for (let i = 0; i < slots.length; i++) await flow(i);
    for (const r of results) {
      expect(r.book && !('error' in r.book) ? r.book.status : r.book).toBe(201);
    }
    // a booking cut off at the connection either never happened or is replayed, never repeated
    let cutButApplied = 0;
    before.forEach((b, i) => {
      const again = results[i].book as { replayed: boolean };
      if (b.book && 'error' in b.book && again.replayed) cutButApplied++;
      if (b.book && !('error' in b.book) && b.book.status === 201) expect(again.replayed).toBe(true);
    });
    const ids = new Set(results.map((r) => JSON.parse((r.book as { body: string }).body).id));
    expect(ids.size).toBe(80); // one appointment per slot: nothing booked twice, nothing lost
    const list = await api(
      srv.url,
      cat.staff,
      'GET',
      `/appointments?providerId=${cat.providerId}&status=active&limit=100`,
    );
    expect(list.json.items.length).toBe(80);
    const check = await admin(['check'], {
      APPT_HOME: home,
      APPT_SERVER: srv.url,
      APPT_TOKEN: srv.adminToken,
    });
    expect(check).toMatchObject({ code: 0, stdout: 'ok: invariants hold and the audit chain verifies\n' });
    console.info(
      `shutdown burst: ${JSON.stringify(tally)}, ${completed} booked before exit, ${cutButApplied} cut off after commit (replayed), exit ${drainMs} ms after SIGTERM`,
    );
  }, 120_000);
});

describe('backup and restore (real server process)', () => {
  it('a backup taken during writes restores to a database that passes `appt admin check`', async () => {
    const home = mkdtempSync(join(tmpdir(), 'appt-home-'));
    const out = mkdtempSync(join(tmpdir(), 'appt-bk-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    cleanups.push(() => rmSync(out, { recursive: true, force: true }));
    const srv = await startServerProcess({ args: ['--demo'], env: { APPT_RATE_LIMIT_STAFF: '0' } });
    cleanups.push(() => srv.cleanup());
    cleanups.push(() => srv.stop());
    const cat = await seedCatalog(srv.url, srv.adminToken);
    const slots = await slotsFor(srv, cat.staff, cat.providerId, cat.s30, dayOffsets(6));
    let writing = true;
    let booked = 0;
    const writer = (async () => {
      for (let i = 0; writing && i < slots.length; i++) {
        const h = await post(
          srv.url,
          cat.staff,
          '/reservations',
          { providerId: cat.providerId, serviceId: cat.s30, timeslotId: slots[i], userId: cat.userId },
          `bk-h-${i}`,
        );
        if ('error' in h || h.status !== 201) continue;
        const b = await post(
          srv.url,
          cat.staff,
          '/bookings',
          { reservationToken: JSON.parse(h.body).reservationToken, userId: cat.userId },
          `bk-b-${i}`,
        );
        if (!('error' in b) && b.status === 201) booked++;
      }
    })();
    while (booked < 5) await new Promise((r) => setTimeout(r, 10));
    const file = join(out, 'during.db');
    const bookedBefore = booked;
    const bk = await appt(['backup', '--to', file, '--json'], { APPT_DATA_DIR: srv.dataDir });
    const bookedAfter = booked;
    writing = false;
    await writer;
    expect(bk.code).toBe(0);
    const r = JSON.parse(bk.stdout);
    expect(r).toMatchObject({ file, integrity: 'ok' });
    expect(r.appointments).toBeGreaterThan(1000); // the demo data came along
    expect(bk.stderr).toMatch(/integrity ok/);
    console.info(
      `backup during writes: ${r.bytes} bytes, ${r.pages} pages, ${r.appointments} appointments in ${r.tookMs} ms (integrity ok)`,
    );

    // restoring over the live data directory is refused
    const refused = await appt(['restore', '--from', file, '--data-dir', srv.dataDir, '--yes']);
    expect(refused.code).toBe(EXIT.failed);
    expect(refused.stderr).toMatch(
      /restore refused: a server \(pid \d+ at http:\/\/127\.0\.0\.1:\d+\) is using/,
    );
    // without --yes and without a TTY it will not go ahead
    const target = mkdtempSync(join(tmpdir(), 'appt-restored-'));
    cleanups.push(() => rmSync(target, { recursive: true, force: true }));
    expect((await appt(['restore', '--from', file, '--data-dir', target])).code).toBe(EXIT.usage);
    const restored = await appt(['restore', '--from', file, '--data-dir', target, '--yes', '--json']);
    expect(restored.code).toBe(0);
    expect(JSON.parse(restored.stdout).appointments).toBe(r.appointments);

    // a server on the restored data directory serves it and its check passes
    writeFileSync(join(target, 'admin.token'), srv.adminToken, { mode: 0o600 });
    const second = await startServerProcess({ dataDir: target });
    cleanups.push(() => second.stop());
    const env = { APPT_HOME: home, APPT_SERVER: second.url, APPT_TOKEN: srv.adminToken };
    const check = await appt(['check', '--json'], env);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toEqual({ ok: true, problems: [] });
    const mine = await api(
      second.url,
      srv.adminToken,
      'GET',
      `/appointments?providerId=${cat.providerId}&limit=100`,
    );
    // the copy holds what was committed while it ran: at least what was booked before it
    // started, at most what was booked by the time it finished (+1 in flight)
    expect(mine.json.items.length).toBeGreaterThanOrEqual(bookedBefore);
    expect(mine.json.items.length).toBeLessThanOrEqual(bookedAfter + 1);
    // the metrics endpoint of the restored server answers
    const metrics = await fetch(`${second.url}/metrics`).then((x) => x.text());
    expect(sample(metrics, 'appt_audit_entries', { outcome: 'applied' })).toBeGreaterThan(1000);
  }, 180_000);

  it('`appt admin check` exits 1 with the first problem, 4 with a wrong token', async () => {
    const srv = await startServerProcess();
    cleanups.push(() => srv.cleanup());
    cleanups.push(() => srv.stop());
    const home = mkdtempSync(join(tmpdir(), 'appt-home-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const cat = await seedCatalog(srv.url, srv.adminToken);
    const [slot] = await slotsFor(srv, cat.staff, cat.providerId, cat.s30, dayOffsets(1));
    const h = await post(
      srv.url,
      cat.staff,
      '/reservations',
      { providerId: cat.providerId, serviceId: cat.s30, timeslotId: slot },
      'x',
    );
    expect('error' in h ? h.error : h.status).toBe(201);
    await srv.stop();
    // break an invariant behind the server's back: a hold active long past its expiry
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(srv.dataDir, 'appt.db'));
    db.prepare("UPDATE reservations SET expires_at = 1000 WHERE status = 'active'").run();
    db.close();
    const again = await startServerProcess({ dataDir: srv.dataDir, args: ['--no-jobs'] });
    cleanups.push(() => again.stop());
    const env = { APPT_HOME: home, APPT_SERVER: again.url, APPT_TOKEN: again.adminToken };
    const bad = await admin(['check'], env);
    expect(bad.code).toBe(EXIT.failed);
    expect(bad.stderr).toMatch(
      /check failed \(1 problem\): stale_hold: hold rsv_\S+ is active past its expiry/,
    );
    expect((await admin(['check'], { ...env, APPT_TOKEN: 'nope' })).code).toBe(EXIT.auth);
  }, 120_000);
});

describe('configuration (bin/appt serve)', () => {
  it('--print-config prints the effective config with secrets masked; a bad value names its key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'appt-cfg-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const ok = await execa('node', [BIN, 'serve', '--print-config', '--data-dir', dir, '--port', '0'], {
      env: {
        APPT_WEBHOOK_SECRET: 'supersecretvalue',
        APPT_RATE_LIMIT_USER: '5',
        APPT_SMTP_URL: 'smtp://u:pw@mail:25',
      },
      reject: false,
    });
    expect(ok.exitCode).toBe(0);
    const cfg = JSON.parse(ok.stdout);
    expect(cfg).toMatchObject({ port: 0, rateLimitUser: 5, rateLimitStaff: 60_000, dataDir: dir });
    expect(ok.stdout).not.toContain('supersecretvalue');
    expect(ok.stdout).not.toContain('pw@');
    expect(cfg.webhookSecret).toMatch(/^su…\(16\)$/);

    const bad = await execa('node', [BIN, 'serve', '--print-config', '--data-dir', dir], {
      env: { APPT_RATE_LIMIT_USER: 'lots' },
      reject: false,
    });
    expect(bad.exitCode).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/APPT_RATE_LIMIT_USER: expected an integer/);

    writeFileSync(join(dir, 'appt.json'), JSON.stringify({ APPT_RESERVATION_TTL_SECONDS: 0 }));
    const file = await execa('node', [BIN, 'serve', '--print-config', '--data-dir', dir], { reject: false });
    expect(file.exitCode).toBe(EXIT.usage);
    expect(file.stderr).toMatch(/APPT_RESERVATION_TTL_SECONDS/);
    writeFileSync(join(dir, 'appt.json'), '{ nope');
    const broken = await execa('node', [BIN, 'serve', '--print-config', '--data-dir', dir], {
      reject: false,
    });
    expect(broken.exitCode).toBe(EXIT.usage);
    expect(broken.stderr).toMatch(/appt\.json: not valid JSON/);
    rmSync(join(dir, 'appt.json'));
    const flag = await execa(
      'node',
      [BIN, 'serve', '--print-config', '--data-dir', dir, '--log-level', 'loud'],
      { reject: false },
    );
    expect(flag.exitCode).toBe(EXIT.usage);
    expect(flag.stderr).toMatch(/APPT_LOG_LEVEL: unknown level "loud"/);
  });
});
