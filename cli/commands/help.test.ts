import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { bufferIO } from '../io.js';
import { buildProgram } from '../main.js';

function leaves(c: Command, path: string[] = []): { path: string; cmd: Command }[] {
  return c.commands.flatMap((s) =>
    s.commands.length ? leaves(s, [...path, s.name()]) : [{ path: [...path, s.name()].join(' '), cmd: s }],
  );
}

describe('--help', () => {
  it('every admin, queue and staff-action subcommand has a description, an example and --json', () => {
    const io = bufferIO();
    const program = buildProgram(io);
    const all = leaves(program);
    expect(all.map((l) => l.path)).toEqual(
      expect.arrayContaining([
        'confirm',
        'complete',
        'no-show',
        'attention clear',
        'admin users add',
        'admin hours show',
      ]),
    );
    const mine = all.filter(
      (l) => /^(admin|queue|attention) /.test(l.path) || ['confirm', 'complete', 'no-show'].includes(l.path),
    );
    expect(mine.length).toBeGreaterThan(20);
    for (const { path, cmd } of mine) {
      io.stdout = '';
      cmd.outputHelp();
      expect(cmd.description(), path).not.toBe('');
      expect(io.stdout, path).toMatch(/Examples:\n {2}appt /);
      expect(io.stdout, path).toMatch(/--json/);
    }
  });
});
