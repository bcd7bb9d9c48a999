import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// End-to-end tests spawn bin/appt, which runs the compiled CLI. Rebuild dist/ when any
// source file is newer than the last build, so a test never runs stale code.
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (/\.(ts|tsx|sql|json)$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name))
      newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const root = new URL('..', import.meta.url).pathname;
  const marker = join(root, 'dist', 'cli', 'main.js');
  const src = Math.max(...['cli', 'server', 'shared', 'scripts'].map((d) => newestMtime(join(root, d))));
  if (!existsSync(marker) || statSync(marker).mtimeMs < src) {
    execSync('npm run build --silent', { cwd: root, stdio: 'inherit' });
  }
}
