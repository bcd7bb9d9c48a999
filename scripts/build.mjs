// Builds dist/ atomically: tsc writes into a fresh directory that then replaces dist/ in
// one rename, so a process running bin/appt (or an end-to-end test) never sees a
// half-empty dist/ while another build is under way. The bundled CLI (scripts/bundle.mjs)
// is built from that output into dist/bundle/ before the rename.
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundle } from './bundle.mjs';

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
try {
  if (!(await bundle(tmp, root)))
    process.stderr.write('esbuild not installed: no dist/bundle, bin/appt runs dist/cli\n');
} catch (err) {
  rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`bundling the CLI failed: ${err?.message ?? err}\n`);
  process.exit(1);
}
if (existsSync(`${root}dist`)) renameSync(`${root}dist`, old);
renameSync(tmp, `${root}dist`);
rmSync(old, { recursive: true, force: true });
