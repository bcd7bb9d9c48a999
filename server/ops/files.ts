import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The data directory holds customer contact data, feed tokens and secrets: the directory
 * is 0700 and every file in it 0600. Modes are set with chmod after creating a file, so
 * they do not depend on the process umask (which can only take bits away at create time,
 * and does not apply at all to a file that already existed).
 */
export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

/** mkdir -p, then exactly 0700 on the last component. */
export function privateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  chmodSync(dir, PRIVATE_DIR);
  return dir;
}

/** chmod 0600 if the file exists (SQLite's -wal/-shm come and go). */
export function privateFile(file: string): void {
  try {
    chmodSync(file, PRIVATE_FILE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** What the server keeps in a data directory: only these are tightened at start-up. */
const OWN_FILES =
  /^(appt\.db(-wal|-shm|-journal)?|appt\.db\.before-restore-.*|admin\.token|secrets\.json|appt\.json|server\.log|server\.lock)$/;
const OWN_DIRS = ['mail', 'exports', 'run'];

/**
 * At start-up: the data directory 0700, and what an older version left in it with looser
 * modes tightened — the server's own files 0600, its subdirectories (mail/, exports/, run/)
 * 0700 with every file in them 0600. Nothing else is touched (a data directory pointed at
 * a directory with other things in it keeps their modes), nor are symbolic links followed.
 */
export function privatizeDataDir(dataDir: string): void {
  privateDir(dataDir);
  const tighten = (p: string, want: number) => {
    const st = lstatSync(p);
    if (!st.isSymbolicLink() && (st.mode & 0o777) !== want) chmodSync(p, want);
  };
  for (const entry of readdirSync(dataDir, { withFileTypes: true })) {
    const p = join(dataDir, entry.name);
    if (entry.isFile() && OWN_FILES.test(entry.name)) tighten(p, PRIVATE_FILE);
    else if (entry.isDirectory() && OWN_DIRS.includes(entry.name)) {
      tighten(p, PRIVATE_DIR);
      for (const f of readdirSync(p, { withFileTypes: true }))
        if (f.isFile()) tighten(join(p, f.name), PRIVATE_FILE);
    }
  }
}
