import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../shared/client.js';
import { makeFactory } from '../factory.js';
import { bufferIO } from '../io.js';
import { handleError } from '../main.js';
import type { Runtime } from '../runtime.js';
import { runCheck } from './admin-ops-run.js';
import { newCmdAudit, runAudit } from './audit.js';
import { newCmdBulk } from './bulk.js';
import { newCmdCancel, runCancel } from './cancel.js';
import { newCmdList } from './list.js';
import { newCmdReschedule } from './reschedule.js';
import { newCmdShow } from './show.js';
import { newCmdStats } from './stats.js';

/**
 * Issue 13, item 13: the older commands are newCmdX(f, runF) too — parsed without a
 * process, and run against a factory of fakes; failures printed by cli/main.ts alone.
 */
const fakeRuntime = (client: Partial<ApiClient>) => async () =>
  ({ client, close: async () => {} }) as unknown as Runtime;

describe('parsing without a process (newCmdX(f, runF))', () => {
  it('list, show, cancel, reschedule, audit, stats and bulk hand their options to runF', async () => {
    const seen: unknown[] = [];
    const program = new Command().exitOverride();
    const f = makeFactory(bufferIO(), program);
    const rec =
      (name: string) =>
      async (...args: unknown[]) =>
        void seen.push([name, ...args]);
    program.addCommand(newCmdList(f, rec('list')));
    program.addCommand(newCmdShow(f, rec('show')));
    program.addCommand(newCmdCancel(f, rec('cancel')));
    program.addCommand(newCmdReschedule(f, rec('reschedule')));
    program.addCommand(newCmdAudit(f, rec('audit')));
    program.addCommand(newCmdStats(f, rec('stats')));
    program.addCommand(newCmdBulk(f, rec('bulk')));
    for (const argv of [
      ['list', '--date', 'tomorrow', '--json'],
      ['show', 'a1'],
      ['cancel', 'a2', '--yes', '--reason', 'ill'],
      ['reschedule', 'a3', '--tomorrow'],
      ['audit', '--verify'],
      ['stats', '--since', '1h'],
      ['bulk', 'cancel', '--file', 'plan.csv', '--dry-run'],
    ])
      await program.parseAsync(argv, { from: 'user' });
    expect(seen).toMatchObject([
      ['list', { date: 'tomorrow', json: true }],
      ['show', 'a1', {}],
      ['cancel', 'a2', { yes: true, reason: 'ill' }],
      ['reschedule', 'a3', { tomorrow: true }],
      ['audit', undefined, { verify: true }],
      ['stats', { since: '1h' }],
      ['bulk', 'cancel', { file: 'plan.csv', dryRun: true }],
    ]);
  });
});

describe('running against a factory of fakes', () => {
  it('appt audit --verify prints the verdict from the fake client', async () => {
    const io = bufferIO();
    const f = makeFactory(io, new Command(), {
      runtime: fakeRuntime({ auditVerify: async () => ({ ok: true, entries: 12, chains: 5 }) as never }),
    });
    await runAudit(f, undefined, { verify: true });
    expect(io.stdout).toBe(
      'audit chain ok: 12 entries in 5 chains verified, each against its anchored head\n',
    );
  });

  it("appt cancel asks the factory's clock whether the appointment has started", async () => {
    const start = Date.parse('2026-12-02T15:00:00Z');
    const appointment = {
      id: 'apt_1',
      status: 'confirmed',
      start: new Date(start).toISOString(),
      timezone: 'UTC',
      version: 1,
      serviceTitle: 'Cleaning',
      providerName: 'Dr. Rivera',
      userName: 'Frances Knuth',
    };
    const quote = {
      feeCents: 2000,
      refundCents: 10000,
      priceCents: 12000,
      currency: 'USD',
      refundableUntil: new Date(start - 86_400_000).toISOString(),
      policy: 'Free until 24 h before.',
    };
    const runtime = async () =>
      ({
        client: { appointment: async () => ({ data: appointment }), cancellationQuote: async () => quote },
        store: { saveSnapshot() {} },
        session: { server: 'http://127.0.0.1:1' },
        interactive: false,
        close: async () => {},
      }) as unknown as Runtime;
    // one minute after the start by the injected clock: refused before any quote, exit 3
    const late = bufferIO();
    const err = await runCancel(
      makeFactory(late, new Command(), { runtime, clock: { now: () => start + 60_000 } }),
      'apt_1',
      {},
    ).catch((e) => e);
    expect(err.message).toContain('started at');
    expect(err.exitCode).toBe(3);
    expect(late.stderr).not.toContain('fee');
    // an hour before: the quote is printed (then no TTY and no --yes: exit 2, nothing changed)
    const early = bufferIO();
    const err2 = await runCancel(
      makeFactory(early, new Command(), { runtime, clock: { now: () => start - 3_600_000 } }),
      'apt_1',
      {},
    ).catch((e) => e);
    expect(early.stderr).toContain('fee 20.00 USD');
    expect(err2.message).not.toContain('started at');
  });

  it('a failed `admin check --json` prints its report as the one JSON document (main adds none)', async () => {
    const io = bufferIO();
    const report = { ok: false, problems: [{ kind: 'overlap', id: 'a1', detail: 'two at once' }] };
    const f = makeFactory(io, new Command(), {
      runtime: fakeRuntime({ check: async () => report as never }),
    });
    const e = await runCheck(f, { json: true }).catch((x: unknown) => x);
    expect(handleError(e, io, true)).toBe(1);
    const docs = io.stdout.split('\n').filter((l) => l.trim());
    expect(docs).toHaveLength(1);
    expect(JSON.parse(docs[0]!)).toEqual(report);
    expect(io.stderr).toMatch(/^appt: check failed \(1 problem\): overlap: two at once\n$/);
  });
});
