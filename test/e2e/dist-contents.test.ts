import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Issue 13: test helpers (the harness, PostgreSQL test databases, SMTP and realtime sinks,
// the request fuzzer) are not shipped. The global setup has built dist/ before this runs.
const root = fileURLToPath(new URL('../..', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [relative(root, join(dir, e.name))],
  );
}

describe('the shipped dist/', () => {
  it('holds the CLI and the server but no test helpers or tests', () => {
    const files = walk(join(root, 'dist'));
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/server/app.js');
    const helpers = files.filter((f) => /(^|\/)(testing|fuzz-requests)(\/|\.)|\.test\.js$/.test(f));
    expect(helpers).toEqual([]);
  });
});
