import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where a process spends CPU and where a database lives: the two things a write figure
 * needs beside its throughput (issue 14, "Measuring writes").
 */

let ticks: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (`getconf CLK_TCK`). */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/**
 * utime + stime of a process so far, in clock ticks (every thread of it, worker threads
 * included; not its children). The command name in field 2 may hold spaces and
 * parentheses, so the fields are counted from the last `)`.
 */
export function parseStatTicks(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): utime is field 14, stime field 15
  return Number(rest[11]) + Number(rest[12]);
}

export function cpuTicks(pid: number): number {
  return parseStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** CPU microseconds per request from a tick delta over `requests` requests. */
export function cpuMicrosPerRequest(tickDelta: number, requests: number): number {
  return requests > 0 ? (tickDelta / clockTicks() / requests) * 1e6 : Number.NaN;
}

/** The file system type and mount point holding `path` (longest mount point prefix of /proc/self/mountinfo). */
export function fsOf(path: string, mountinfo?: string): { type: string; mount: string } {
  const real = mountinfo ? path : realpathSync(path);
  let best = { type: 'unknown', mount: '' };
  const info = mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  for (const line of info.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mount = left.split(' ')[4]!.replace(/\\040/g, ' ');
    const inside = real === mount || real.startsWith(mount === '/' ? '/' : `${mount}/`);
    if (inside && mount.length >= best.mount.length) best = { type: right.split(' ')[0]!, mount };
  }
  return best;
}

export interface Placement {
  name: 'data disk' | 'RAM disk';
  /** a directory the bench makes its temporary data directories in */
  dir: string;
  fs: { type: string; mount: string };
}

const RAM = new Set(['tmpfs', 'ramfs']);

/**
 * The two placements a write figure is measured on: the data disk (the system temp dir
 * when it is a real disk, else node_modules/.cache/appt-bench under the project, which git ignores) and the RAM disk /dev/shm.
 * Either is left out when this machine has none.
 */
export function placements(root: string): Placement[] {
  const out: Placement[] = [];
  const tmp = tmpdir();
  let disk = tmp;
  if (RAM.has(fsOf(tmp).type)) {
    disk = join(root, 'node_modules', '.cache', 'appt-bench');
    mkdirSync(disk, { recursive: true });
  }
  const dfs = fsOf(disk);
  if (!RAM.has(dfs.type)) out.push({ name: 'data disk', dir: disk, fs: dfs });
  if (existsSync('/dev/shm')) {
    const sfs = fsOf('/dev/shm');
    if (RAM.has(sfs.type)) out.push({ name: 'RAM disk', dir: '/dev/shm', fs: sfs });
  }
  return out;
}
