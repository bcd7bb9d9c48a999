import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Me } from '../shared/client.js';
import type { QueuedAction } from './queue/types.js';

/**
 * The CLI's `conf` store: one JSON file (mode 0600) under `APPT_HOME` (default
 * `$XDG_CONFIG_HOME/appt`, i.e. ~/.config/appt). It holds the server URL and token, who the
 * token is (GET /me), the last list/detail snapshots with their fetch time (offline reads),
 * and drafts. The offline queue has its own file (cli/queue/). `APPT_SERVER` / `APPT_TOKEN` override the saved login.
 *
 * Reads parse the file directly, and so do snapshot writes (atomic rename, same file and
 * format): importing `conf` pulls in ajv (~+55 ms) and `appt list` is cold-start
 * benchmarked. Everything else (login, drafts) is written through `conf`.
 */

export interface Snapshot<T = unknown> {
  /** ISO time the data was fetched */
  at: string;
  server: string;
  data: T;
}

export type { QueuedAction, QueuedKind } from './queue/types.js';

export interface ConfigData {
  server?: string;
  token?: string;
  me?: Me;
  savedAt?: string;
  snapshots?: Record<string, Snapshot>;
  /** where older versions kept the offline queue; moved to queue.json on first use */
  queue?: QueuedAction[];
  drafts?: Record<string, unknown>;
}

export interface Session {
  server: string;
  token: string;
  /** who the token belongs to, when known (saved at login) */
  me?: Me | undefined;
  source: 'env' | 'config';
}

const MAX_SNAPSHOTS = 200;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.APPT_HOME) return env.APPT_HOME;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'appt');
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.json');
}

export class ConfigStore {
  readonly path: string;
  readonly dir: string;
  private cache: ConfigData | undefined;

  constructor(readonly env: NodeJS.ProcessEnv = process.env) {
    this.dir = configDir(env);
    this.path = join(this.dir, 'config.json');
  }

  /** The stored data (read once per process unless a write changes it). */
  data(): ConfigData {
    if (!this.cache) this.cache = readJson(this.path);
    return this.cache;
  }

  reload(): ConfigData {
    this.cache = undefined;
    return this.data();
  }

  /** Read-modify-write through `conf` (mode 0600). */
  async update(fn: (d: ConfigData) => void): Promise<ConfigData> {
    const { default: Conf } = await import('conf');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const conf = new Conf<ConfigData>({
      projectName: 'appt',
      cwd: this.dir,
      configName: 'config',
      configFileMode: 0o600,
      accessPropertiesByDotNotation: false,
    });
    const d = structuredClone(conf.store) as ConfigData;
    fn(d);
    conf.store = d;
    tightenMode(this.path);
    this.cache = d;
    return d;
  }

  /** Fast path for the snapshot a read leaves behind (atomic rename, 0600, same file). */
  saveSnapshot(key: string, server: string, data: unknown, at = new Date()): void {
    const d = structuredClone(this.reload());
    const snaps = { ...(d.snapshots ?? {}) };
    delete snaps[key];
    snaps[key] = { at: at.toISOString(), server, data };
    const names = Object.keys(snaps);
    for (const old of names.slice(0, Math.max(0, names.length - MAX_SNAPSHOTS))) delete snaps[old];
    d.snapshots = snaps;
    writeJsonAtomic(this.path, d);
    this.cache = d;
  }

  snapshot<T>(key: string): Snapshot<T> | undefined {
    return this.data().snapshots?.[key] as Snapshot<T> | undefined;
  }

  /**
   * Removes intents an older version queued inside this file, once they are in the queue
   * file (cli/queue): the queue no longer shares a file with the snapshots.
   */
  dropLegacyQueue(ids: string[]): void {
    const d = structuredClone(this.reload());
    d.queue = (d.queue ?? []).filter((q) => !ids.includes(q.id));
    if (!d.queue.length) delete d.queue;
    writeJsonAtomic(this.path, d);
    this.cache = d;
  }

  draft<T>(key: string): T | undefined {
    return this.data().drafts?.[key] as T | undefined;
  }

  async setDraft(key: string, value: unknown): Promise<void> {
    await this.update((d) => {
      const drafts = { ...(d.drafts ?? {}) };
      if (value === undefined) delete drafts[key];
      else drafts[key] = value;
      d.drafts = drafts;
    });
  }

  async saveLogin(server: string, token: string, me: Me): Promise<void> {
    await this.update((d) => {
      // a new server or token invalidates what the old one cached
      if (d.server !== server || d.token !== token) d.snapshots = {};
      d.server = server;
      d.token = token;
      d.me = me;
      d.savedAt = new Date().toISOString();
    });
  }
}

export function openStore(env: NodeJS.ProcessEnv = process.env): ConfigStore {
  return new ConfigStore(env);
}

/**
 * The login to use: `APPT_SERVER` / `APPT_TOKEN` override the saved ones. Returns
 * undefined when there is no server or token at all. (Used by the CLI and the TUI.)
 */
export function loadSession(
  env: NodeJS.ProcessEnv = process.env,
  store = openStore(env),
): Session | undefined {
  const d = store.data();
  const server = env.APPT_SERVER || d.server;
  const token = env.APPT_TOKEN || d.token;
  if (!server || !token) return undefined;
  const fromEnv = Boolean(env.APPT_SERVER || env.APPT_TOKEN);
  // the saved identity only describes the saved token
  const me = token === d.token ? d.me : undefined;
  return { server: server.replace(/\/+$/, ''), token, me, source: fromEnv ? 'env' : 'config' };
}

function readJson(path: string): ConfigData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? (v as ConfigData) : {};
  } catch {
    return {};
  }
}

function writeJsonAtomic(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, undefined, '\t')}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

function tightenMode(path: string): void {
  try {
    chmodSync(path, 0o600);
  } catch {
    // the file may not exist yet on a read-only filesystem; conf reports real failures
  }
}

/** Snapshot keys shared by the CLI and the TUI. */
export const snapshotKeys = {
  list: (filter: Record<string, unknown>) =>
    `list:${JSON.stringify(
      Object.fromEntries(
        Object.entries(filter)
          .filter(([, v]) => v !== undefined)
          .sort(),
      ),
    )}`,
  appointment: (id: string) => `appointment:${id}`,
  availability: (providerId: string, serviceId: string, date: string) =>
    `availability:${providerId}:${serviceId}:${date}`,
};
