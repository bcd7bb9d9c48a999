import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
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

/**
 * At start-up: the data directory 0700, and whatever an older version (or another tool)
 * left in it with looser modes tightened — files 0600, subdirectories 0700, two levels
 * deep (mail/, exports/, run/). Symbolic links are left alone (their targets are not ours).
 */
export function privatizeDataDir(dataDir: string, depth = 2): void {
  privateDir(dataDir);
  const walk = (dir: string, level: number) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if ((lstatSync(p).mode & 0o777) !== PRIVATE_DIR) chmodSync(p, PRIVATE_DIR);
        if (level < depth) walk(p, level + 1);
      } else if (entry.isFile() && (lstatSync(p).mode & 0o777) !== PRIVATE_FILE) {
        chmodSync(p, PRIVATE_FILE);
      }
    }
  };
  if (existsSync(dataDir)) walk(dataDir, 1);
}
