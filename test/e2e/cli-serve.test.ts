import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appt, json } from './cli-helpers.js';

// `appt serve` and `appt demo` on a port that is taken: one line, exit 1, at once (they used
// to print EADDRINUSE and hang with the job workers running).

const work = mkdtempSync(join(tmpdir(), 'appt-serve-'));
let blocker: Server;
let port = 0;
beforeAll(async () => {
  blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  port = (blocker.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((r) => blocker.close(r));
  rmSync(work, { recursive: true, force: true });
});

describe('servers fail fast', () => {
  for (const cmd of ['serve', 'demo']) {
    it(`appt ${cmd} on a taken port exits 1 at once with one line`, { timeout: 60_000 }, async () => {
      const t0 = Date.now();
      const r = await appt(
        [cmd, '--port', String(port), '--data-dir', join(work, cmd)],
        {},
        { timeout: 20_000 },
      );
      expect(r.exitCode).toBe(1);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(r.stderr.trim().split('\n')).toEqual([
        `appt: port ${port} on 127.0.0.1 is already in use (another appt server?): stop it, or pass --port <n> (0 picks a free port)`,
      ]);
      const j = await appt(
        [cmd, '--port', String(port), '--data-dir', join(work, cmd), '--json'],
        {},
        { timeout: 20_000 },
      );
      expect(j.exitCode).toBe(1);
      expect(json(j.stdout).error.detail).toMatch(/already in use/);
    });
  }

  it('serve --print-config --json prints one JSON document', async () => {
    const r = await appt(['serve', '--print-config', '--json', '--data-dir', join(work, 'pc')]);
    expect(r.exitCode).toBe(0);
    expect(json(r.stdout)).toHaveProperty('port');
  });
});

describe('a failure with --json prints exactly one JSON document', () => {
  const home = mkdtempSync(join(tmpdir(), 'appt-home-'));
  const cases: [string, string[], number][] = [
    ['not logged in', ['list', '--json'], 4],
    ['a bad flag', ['list', '--bogus', '--json'], 2],
    ['a usage error', ['cancel', 'x', '--waive-fee', '--json'], 2],
    ['unreachable server', ['show', 'x', '--json'], 1],
  ];
  for (const [what, args, code] of cases)
    it(what, async () => {
      const env =
        what === 'unreachable server'
          ? { APPT_HOME: home, APPT_SERVER: 'http://127.0.0.1:9', APPT_TOKEN: 't' }
          : { APPT_HOME: home };
      const r = await appt(args, env);
      expect(r.exitCode).toBe(code);
      const docs = r.stdout.split('\n').filter((l) => l.trim());
      expect(docs).toHaveLength(1);
      expect(JSON.parse(docs[0]!).error.exitCode).toBe(code);
      expect(r.stderr).not.toBe('');
    });
});
