import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAdminOps } from '../../cli/commands/admin-ops.js';
import { register as registerStats } from '../../cli/commands/stats.js';
import { CliError, EXIT } from '../../cli/exit-codes.js';
import { makeFactory } from '../../cli/factory.js';
import { bufferIO } from '../../cli/io.js';
import { bookVia, type Harness, makeHarness, slotsOf } from '../../server/testing/harness.js';

/**
 * `appt stats` and `appt admin token rotate` through commander against the real app
 * listening on a port (in-process, so the clock can move).
 */
let h: Harness;
let home: string;
let url: string;
beforeAll(async () => {
  h = await makeHarness({ listen: true });
  const a = h.app.server.address();
  url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  home = mkdtempSync(join(tmpdir(), 'appt-home-'));
});
afterAll(async () => {
  await h.close();
  rmSync(home, { recursive: true, force: true });
});

async function appt(args: string[], token: string) {
  const io = bufferIO({ env: { APPT_HOME: home, APPT_SERVER: url, APPT_TOKEN: token, NO_COLOR: '1' } });
  const program = new Command('appt').exitOverride().configureOutput({
    writeOut: (s) => io.out(s),
    writeErr: (s) => io.err(s),
  });
  registerStats(program, io);
  registerAdminOps(program.command('admin'), makeFactory(io, program));
  let code: number = EXIT.ok;
  try {
    await program.parseAsync(['node', 'appt', ...args]);
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`appt: ${e.message}\n`);
      code = e.exitCode;
    } else code = EXIT.usage; // commander's own refusals
  }
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('appt stats', () => {
  it('prints the figures for people and as JSON for scripts', async () => {
    const slots = (await slotsOf(h, '2030-01-08')).timeslots;
    await bookVia(h, slots[0].id);
    await bookVia(h, slots[2].id);
    const text = await appt(['stats', '--since', '24h'], h.tokens.support);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^bookings\s+2 {2}\(2\/day, 0 refused\)$/m);
    expect(text.stdout).toMatch(/expiry rate\s+0\.0%/);
    expect(text.stdout).toMatch(/top failure reasons\n {2}none/);
    expect(text.stdout).toMatch(/^2030-01-07\s+2\s+0\s+0\s+0\s+0\s+0$/m);
    const json = await appt(['stats', '--json'], h.tokens.admin);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ bookings: 2, days: 7 });
  });

  it('refuses a bad --since (usage) and a staff token (auth)', async () => {
    const bad = await appt(['stats', '--since', 'lastweek'], h.tokens.support);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/--since: expected a span like 7d/);
    const staff = await appt(['stats'], h.tokens.staff);
    expect(staff.code).toBe(EXIT.auth);
    expect(staff.stderr).toMatch(/forbidden/);
  });
});

describe('appt admin token rotate', () => {
  it('issues a new token, revokes the old one', async () => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/admin/tokens',
      headers: { authorization: `Bearer ${h.tokens.admin}` },
      payload: { name: 'script', role: 'staff' },
    });
    const { id, token } = created.json() as { id: string; token: string };
    const r = await appt(['admin', 'token', 'rotate', id, '--json'], h.tokens.admin);
    expect(r.code).toBe(0);
    const fresh = JSON.parse(r.stdout) as { token: string };
    expect(fresh.token).not.toBe(token);
    const me = (t: string) =>
      h.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${t}` } });
    expect((await me(token)).statusCode).toBe(401);
    expect((await me(fresh.token)).statusCode).toBe(200);
    const missing = await appt(['admin', 'token', 'rotate', 'no-such-id'], h.tokens.admin);
    expect(missing.code).toBe(EXIT.failed);
  });
});
