import { readFileSync } from 'node:fs';

/**
 * Reading a V8 `.cpuprofile` (what `node --cpu-prof` writes): self time per function, per
 * file or per package, so a profile can be named in a table instead of opened in a viewer.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export type GroupBy = 'function' | 'file' | 'package';

export interface SelfTime {
  key: string;
  ms: number;
  share: number;
}

/** `node_modules/<pkg>` (scoped too), `node:<builtin>`, a project path, or `(native)`. */
export function packageOf(url: string, root = ''): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return 'node (builtin)';
  const path = url.replace(/^file:\/\//, '');
  const m = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (m) return m[1]!;
  const rel = root && path.startsWith(root) ? path.slice(root.length).replace(/^\//, '') : path;
  return rel.split('/').slice(0, 2).join('/');
}

function keyOf(n: ProfileNode, by: GroupBy, root: string): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const short = url.replace(/^file:\/\//, '').replace(root ? `${root}/` : '\0', '');
  if (by === 'package') return packageOf(url, root);
  if (by === 'file') return short || '(native)';
  return `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
}

/**
 * Self time grouped by function, file or package, largest first (µs from the sample deltas);
 * samples in the first `skipMs` of the profile (the process's start-up) are left out.
 */
export function selfTimes(p: CpuProfile, by: GroupBy = 'function', root = '', skipMs = 0): SelfTime[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const us = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  let at = 0;
  for (let i = 0; i < samples.length; i++) {
    at += deltas[i] ?? 0;
    if (at < skipMs * 1000) continue;
    // the delta before sample i+1 is the time spent in sample i
    const d = deltas[i + 1] ?? 0;
    us.set(samples[i]!, (us.get(samples[i]!) ?? 0) + Math.max(0, d));
  }
  const total = [...us.values()].reduce((a, b) => a + b, 0) || 1;
  const acc = new Map<string, number>();
  for (const [id, t] of us) {
    const n = byId.get(id);
    if (!n) continue;
    const k = keyOf(n, by, root);
    acc.set(k, (acc.get(k) ?? 0) + t);
  }
  return [...acc].map(([key, t]) => ({ key, ms: t / 1000, share: t / total })).sort((a, b) => b.ms - a.ms);
}

export const readProfile = (file: string): CpuProfile => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

/** The distinct script files that ran code in the profile, counted per package. */
export function filesByPackage(p: CpuProfile, root = ''): { key: string; files: number }[] {
  const files = new Map<string, Set<string>>();
  for (const n of p.nodes) {
    const url = n.callFrame.url;
    if (!url) continue;
    const k = packageOf(url, root);
    if (!files.has(k)) files.set(k, new Set());
    files.get(k)!.add(url);
  }
  return [...files].map(([key, f]) => ({ key, files: f.size })).sort((a, b) => b.files - a.files);
}
