import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PRIVATE_FILE, privateFile } from './files.js';

export const LOCK_FILE = 'server.lock';

export class DataDirLockedError extends Error {
  constructor(
    message: string,
    readonly pid: number,
  ) {
    super(message);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else — still alive
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** data directories this process holds (a second in-process server is refused as well) */
const held = new Set<string>();

function ownerOf(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * One server per data directory: `<data-dir>/server.lock` is created with O_EXCL and holds
 * the owner's pid. A lock whose process is gone (SIGKILL, power loss) is stale and taken
 * over; a live owner makes this call throw with a one-line reason. A lock naming our own
 * pid that this process does not hold is stale too (a container restarted as pid 1).
 * Returns the release function (also run at process exit).
 */
export function lockDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  const file = join(dir, LOCK_FILE);
  if (held.has(dir)) throw new DataDirLockedError(`this process already serves ${dir}`, process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', PRIVATE_FILE);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = ownerOf(file);
      if (pid !== null && pid !== process.pid && alive(pid))
        throw new DataDirLockedError(
          `another appt server (pid ${pid}) is using ${dir}; stop it first (lock: ${file})`,
          pid,
        );
      // stale (or still being written by a starting owner: then the next open fails again
      // and the pid it wrote by then refuses us)
      if (pid === null && attempt === 0) {
        // a just-created lock whose pid is not written yet: give its owner a moment
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        continue;
      }
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    privateFile(file);
    held.add(dir);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      held.delete(dir);
      process.off('exit', release);
      // only our own lock: a takeover by another process after a pause is theirs now
      if (ownerOf(file) === process.pid) rmSync(file, { force: true });
    };
    process.on('exit', release);
    return release;
  }
  throw new DataDirLockedError(`could not take the lock ${file}; another server is starting`, 0);
}
