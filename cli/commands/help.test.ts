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

describe('--json on every command (issue 13, item 9)', () => {
  it('every command the program registers accepts --json', () => {
    const all = leaves(buildProgram(bufferIO()));
    expect(all.length).toBeGreaterThan(40);
    const without = all.filter((l) => !l.cmd.options.some((o) => o.long === '--json')).map((l) => l.path);
    expect(without).toEqual([]);
  });

  it('a failure with --json prints exactly one JSON document, for every command', async () => {
    const { run } = await import('../main.js');
    for (const { path } of leaves(buildProgram(bufferIO()))) {
      const io = bufferIO({ env: {} });
      const code = await run(['node', 'appt', ...path.split(' '), '--json', '--no-such-flag'], io);
      expect(code, path).toBe(2);
      const docs = io.stdout.split('\n').filter((l) => l.trim());
      expect(docs, path).toHaveLength(1);
      expect(JSON.parse(docs[0]!), path).toMatchObject({ error: { code: 'usage', exitCode: 2 } });
    }
    process.exitCode = 0;
  });

  it('serve --print-config --json is one JSON document', async () => {
    const { run } = await import('../main.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/appt-help-`);
    try {
      const io = bufferIO({ env: { APPT_DATA_DIR: dir } });
      expect(await run(['node', 'appt', 'serve', '--print-config', '--json'], io)).toBe(0);
      expect(JSON.parse(io.stdout)).toMatchObject({ port: 7400 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--json failures without a login (every command that does not start a server)', () => {
  it('print exactly one JSON document on stdout, the reason on stderr', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { run } = await import('../main.js');
    const home = mkdtempSync(`${tmpdir()}/appt-walk-`);
    try {
      for (const { path, cmd } of leaves(buildProgram(bufferIO()))) {
        if (['serve', 'demo', 'migrate'].includes(path)) continue;
        const args = cmd.registeredArguments.filter((a) => a.required).map(() => 'x');
        const io = bufferIO({ env: { APPT_HOME: home, APPT_DATA_DIR: `${home}/data` } });
        const code = await run(['node', 'appt', ...path.split(' '), ...args, '--json'], io);
        const docs = io.stdout.split('\n').filter((l) => l.trim());
        expect(docs, path).toHaveLength(1);
        const doc = JSON.parse(docs[0]!);
        if (code !== 0 && doc.error) {
          expect(doc.error.exitCode, path).toBe(code);
          expect(io.stderr, path).toMatch(/\S/);
        }
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
      process.exitCode = 0;
    }
  });
});
