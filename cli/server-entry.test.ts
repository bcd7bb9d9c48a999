import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Issue 13: code the CLI shares with the server lives in shared/; only the commands that
 * run a server or work on the local data directory start server code, and only through
 * server/entry.ts.
 */
const root = new URL('..', import.meta.url).pathname;
const MAY_START_SERVER = [
  'cli/commands/serve-run.ts',
  'cli/commands/demo-run.ts',
  'cli/commands/migrate.ts',
  'cli/commands/admin-ops-run.ts',
  'cli/commands/serve-cluster.ts',
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && e.name !== 'testing.tsx' ? [p] : [];
  });
}

describe('the CLI and server code', () => {
  it('only serve, demo, migrate and local admin commands import server code, through server/entry', () => {
    const found: string[] = [];
    for (const file of sources(join(root, 'cli'))) {
      const rel = relative(root, file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import\()\s*'((?:\.\.\/)+server\/[^']+)'/g)) {
        // type-only imports start nothing
        const typeOnly = new RegExp(`import type [^;]*'${m[1]!.replace(/[.]/g, '\\.')}'`).test(text);
        const ok = typeOnly || (MAY_START_SERVER.includes(rel) && /\/server\/entry\.js$/.test(m[1]!));
        if (!ok) found.push(`${rel}: ${m[1]}`);
      }
    }
    expect(found).toEqual([]);
  });
});
