import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../shared/client.js';
import { makeFactory } from '../factory.js';
import { bufferIO } from '../io.js';
import type { Runtime } from '../runtime.js';
import { newCmdAttention } from './attention.js';
import { newCmdConfirm } from './confirm.js';
import { newCmdNoShow } from './no-show.js';
import { runStaffAction, type StaffActionOptions } from './staff-action-run.js';

const appt = {
  id: 'a1',
  userName: 'Fran Torvalds',
  serviceTitle: 'Checkup',
  providerName: 'Dr Ng',
  start: '2030-01-08T10:00:00Z',
  timezone: 'Europe/Berlin',
  status: 'no_show',
  needsAttention: true,
};

describe('staff action commands (parsed and run without a process)', () => {
  it('parse into options for the run function', async () => {
    const seen: StaffActionOptions[] = [];
    const program = new Command().exitOverride();
    const f = makeFactory(bufferIO(), program);
    const runF = async (o: StaffActionOptions) => void seen.push(o);
    program.addCommand(newCmdConfirm(f, runF));
    program.addCommand(newCmdNoShow(f, runF));
    program.addCommand(newCmdAttention(f, runF));
    await program.parseAsync(['confirm', 'a1', '--json'], { from: 'user' });
    await program.parseAsync(['no-show', 'a2', '--reason', 'no answer'], { from: 'user' });
    await program.parseAsync(['attention', 'clear', 'a3'], { from: 'user' });
    expect(seen).toEqual([
      { id: 'a1', action: 'confirm', reason: undefined, json: true },
      { id: 'a2', action: 'no-show', reason: 'no answer', json: false },
      { id: 'a3', action: 'attention-clear', json: false },
    ]);
  });

  it('runs against the factory: names the customer and time, spells no-show, sends a key', async () => {
    const calls: unknown[][] = [];
    const client = {
      action: async (...args: unknown[]) => {
        calls.push(args);
        return { data: appt, replayed: false };
      },
    } as unknown as ApiClient;
    const io = bufferIO();
    const f = makeFactory(io, new Command(), {
      runtime: async () => ({ client, close: async () => {} }) as unknown as Runtime,
    });
    await runStaffAction(f, { id: 'a1', action: 'no-show', reason: 'no answer', json: false });
    expect(io.stdout).toBe(
      'marked no-show a1: Fran Torvalds, Checkup with Dr Ng, Tue 2030-01-08 11:00 Europe/Berlin — now no-show\n',
    );
    expect(calls[0]?.[1]).toBe('no-show');
    expect(String(calls[0]?.[2])).toMatch(/^cli:no-show:/);
    expect(calls[0]?.[3]).toEqual({ reason: 'no answer' });
  });

  it('attention clear on an appointment that is not flagged changes nothing and says so', async () => {
    let cleared = false;
    const client = {
      appointment: async () => ({ data: { ...appt, needsAttention: false } }),
      attention: async () => {
        cleared = true;
        return { data: appt };
      },
    } as unknown as ApiClient;
    const io = bufferIO();
    const f = makeFactory(io, new Command(), {
      runtime: async () => ({ client, close: async () => {} }) as unknown as Runtime,
    });
    await runStaffAction(f, { id: 'a1', action: 'attention-clear', json: false });
    expect(cleared).toBe(false);
    expect(io.stderr).toMatch(/does not need attention: nothing changed/);
  });
});
