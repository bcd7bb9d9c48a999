import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeQueryClient } from '../../cli/tui/query.js';
import { replayQueue } from '../../cli/tui/actions.js';
import { configTuiStore } from '../../cli/tui/data.js';
import { httpData } from '../../cli/tui/http-data.js';
import { openStore } from '../../cli/config.js';
import { type ServerProcess, seedCatalog, startServerProcess } from '../server-process.js';
import { appt, auditAll, bookMany, dayFromNow, json, slots, tempHome } from './cli-helpers.js';

// The offline queue against a real server behind a switchable proxy: unreachable → queued
// (exit 5); a server answering 503 during replay → still queued, not refused; then the CLI
// (a process) and the TUI's replay (in this process) replay the same queue file at the same
// time → every intent applied exactly once.

type Mode = 'down' | '503' | 'forward';
let mode: Mode = 'forward';
let srv: ServerProcess;
let proxy: Server;
let proxyUrl = '';
const dataDir = mkdtempSync(join(tmpdir(), 'appt-queue-'));

beforeAll(async () => {
  srv = await startServerProcess({ dataDir, args: ['--port', '0'] });
  const target = new URL(srv.url);
  proxy = createServer((req, res) => {
    if (mode === 'down') return void req.socket.destroy();
    if (mode === '503' && req.method === 'POST') {
      res.writeHead(503, { 'content-type': 'application/problem+json' });
      return void res.end(
        JSON.stringify({
          type: 'about:blank',
          title: 'down',
          status: 503,
          code: 'unavailable',
          detail: 'maintenance',
        }),
      );
    }
    const up = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
}, 120_000);
afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
  await srv?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('offline queue (one module for the CLI and the TUI)', () => {
  it('503 keeps intents queued; the CLI and the TUI replaying at once apply each exactly once', {
    timeout: 240_000,
  }, async () => {
    const cat = await seedCatalog(srv.url, srv.adminToken);
    const booked = await bookMany(
      srv.url,
      cat.staff,
      { providerId: cat.providerId, serviceId: cat.s30, userId: cat.userId },
      7,
      3,
    );
    const home = tempHome();
    const env = { APPT_HOME: home };
    expect((await appt(['login', '--server', proxyUrl, '--token', cat.staff], env)).exitCode).toBe(0);
    for (const a of booked) expect((await appt(['show', a.id], env)).exitCode).toBe(0);
    const free = (await slots(srv.url, cat.staff, cat.providerId, cat.s30, dayFromNow(20))).filter(
      (s) => s.status === 'available',
    );

    mode = 'down';
    const cancels = booked.slice(0, 5);
    const moves = booked.slice(5);
    for (const a of cancels)
      expect((await appt(['cancel', a.id, '--yes', '--reason', `ill ${a.id}`], env)).exitCode).toBe(5);
    for (const [i, a] of moves.entries())
      expect((await appt(['reschedule', a.id, '--to', free[i]!.id, '--yes'], env)).exitCode).toBe(5);
    const queued = json((await appt(['queue', 'list', '--json'], env)).stdout).items;
    expect(queued).toHaveLength(7);
    expect(queued.every((q: { version: number; mine: boolean }) => q.version === 1 && q.mine)).toBe(true);
    // the queue is its own file, not part of the config/snapshot store
    expect(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).queue).toBeUndefined();

    mode = '503';
    const r503 = await appt(['queue', 'replay', '--json'], env);
    expect(r503.exitCode).toBe(1);
    const res503 = json(r503.stdout).results;
    expect(res503).toHaveLength(7);
    expect(res503.every((r: { result: string; queued: boolean }) => r.result === 'failed' && r.queued)).toBe(
      true,
    );
    const after503 = json((await appt(['queue', 'list', '--json'], env)).stdout).items;
    expect(after503).toHaveLength(7);
    expect(
      after503.every(
        (q: { lastError?: unknown; lastAttempt?: { error: { status: number } } }) =>
          !q.lastError && q.lastAttempt?.error.status === 503,
      ),
    ).toBe(true);

    mode = 'forward';
    const saved = openStore(env).data();
    const tuiStore = configTuiStore(openStore(env), proxyUrl, cat.staff, saved.me);
    expect(tuiStore.queue()).toHaveLength(7); // the TUI sees the CLI's intents
    const data = httpData(proxyUrl, cat.staff);
    const [cli, tui] = await Promise.all([
      appt(['queue', 'replay', '--json'], env),
      replayQueue(data, tuiStore, makeQueryClient()),
    ]);
    await data.close?.();
    const cliDone = json(cli.stdout).results.filter(
      (r: { result: string }) => r.result === 'applied' || r.result === 'already',
    );
    expect(cliDone.length + tui.filter((r) => r.ok).length).toBeGreaterThanOrEqual(7);
    expect(tui.filter((r) => !r.ok)).toEqual([]);
    expect(json((await appt(['queue', 'list', '--json'], env)).stdout).items).toEqual([]);

    for (const a of cancels) {
      const e = (await auditAll(srv.url, srv.adminToken, `appointmentId=${a.id}`)).filter(
        (x) => x.action === 'cancelled' && x.outcome === 'applied',
      );
      expect(e).toHaveLength(1);
      expect(e[0].reason).toBe(`ill ${a.id}`); // the user's own reason, whoever replayed it
    }
    for (const a of moves) {
      const e = (await auditAll(srv.url, srv.adminToken, `appointmentId=${a.id}`)).filter(
        (x) => x.action === 'rescheduled' && x.outcome === 'applied',
      );
      expect(e).toHaveLength(1);
    }
    const rejected = await auditAll(srv.url, srv.adminToken, 'action=cancelled');
    expect(rejected.filter((x) => x.outcome === 'rejected')).toEqual([]);
  });

  it('a login as someone else does not replay the queue', { timeout: 120_000 }, async () => {
    const cat = await seedCatalog(srv.url, srv.adminToken, 'Europe/London');
    const [a] = await bookMany(
      srv.url,
      cat.staff,
      { providerId: cat.providerId, serviceId: cat.s30, userId: cat.userId },
      1,
      4,
    );
    const env = { APPT_HOME: tempHome() };
    expect((await appt(['login', '--server', proxyUrl, '--token', cat.staff], env)).exitCode).toBe(0);
    mode = 'down';
    expect((await appt(['cancel', a!.id, '--yes'], env)).exitCode).toBe(5);
    mode = 'forward';
    const other = await appt(['list', '--json'], { ...env, APPT_TOKEN: srv.adminToken });
    expect(other.stderr).not.toMatch(/replayed/);
    const list = json(
      (await appt(['queue', 'list', '--json'], { ...env, APPT_TOKEN: srv.adminToken })).stdout,
    ).items;
    expect(list).toMatchObject([{ appointmentId: a!.id, mine: false }]);
    const mine = await appt(['queue', 'replay', '--json'], env);
    expect(mine.exitCode).toBe(0);
    expect(json(mine.stdout).results).toMatchObject([{ appointmentId: a!.id, result: 'applied' }]);
  });
});
