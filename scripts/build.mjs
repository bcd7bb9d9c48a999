// Builds dist/ atomically: tsc writes into a fresh directory that then replaces dist/ in
// one rename, so a process running bin/appt (or an end-to-end test) never sees a
// half-empty dist/ while another build is under way.
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = `${root}.dist-build-${process.pid}`;
const old = `${root}.dist-old-${process.pid}`;
const tsc = `${root}node_modules/typescript/bin/tsc`;
try {
  execFileSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`, '--outDir', tmp], {
    stdio: 'inherit',
  });
} catch {
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
}
if (existsSync(`${root}dist`)) renameSync(`${root}dist`, old);
renameSync(tmp, `${root}dist`);
rmSync(old, { recursive: true, force: true });
