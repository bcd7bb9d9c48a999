import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDb } from '../server/db/open.js';
import { checkInvariants } from '../server/invariants/check.js';

/**
 * Offline invariant check of a data directory (or a database file, e.g. a backup): opens
 * it read-only — safe beside a running server — and runs the same checker as
 * GET /admin/check. Prints {ok, problems[]} as JSON; exit 0 when it holds, 1 when not,
 * 2 for bad usage.
 *
 *   node dist/scripts/check.js <data-dir | file.db> [--grace-ms 5000]
 */
export async function checkPath(target: string, graceMs = 5_000, now = Date.now()) {
  const p = resolve(target);
  const file = existsSync(p) && statSync(p).isDirectory() ? join(p, 'appt.db') : p;
  if (!existsSync(file)) throw new Error(`no database at ${file}`);
  const db = await openDb(file, { readonly: true, migrate: false });
  try {
    return { file, ...(await checkInvariants(db, now, { holdGraceMs: graceMs })) };
  } finally {
    await db.close();
  }
}

export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  const args = argv.filter((a, i) => a !== '--grace-ms' && argv[i - 1] !== '--grace-ms');
  const gi = argv.indexOf('--grace-ms');
  const grace = gi >= 0 ? Number(argv[gi + 1]) : 5_000;
  if (args.length !== 1 || !Number.isFinite(grace)) {
    err.write('usage: check <data-dir | file.db> [--grace-ms N]\n');
    return 2;
  }
  try {
    const r = await checkPath(args[0], grace);
    out.write(`${JSON.stringify(r)}\n`);
    if (!r.ok) err.write(`check: ${r.problems[0].kind}: ${r.problems[0].detail}\n`);
    return r.ok ? 0 : 1;
  } catch (e) {
    err.write(`check: ${(e as Error).message}\n`);
    return 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  process.exitCode = await main(process.argv.slice(2));
