import type { Command } from 'commander';
import type { ApiClient } from '../shared/client.js';
import type { ConfigStore, Session } from './config.js';
import type { IO } from './io.js';
import type { Runtime, RuntimeOptions } from './runtime.js';

/**
 * What a command needs, built lazily on first use (as gh's cmdutil.Factory): a command that
 * never talks to the server never loads the HTTP client, and tests hand in their own IO,
 * clock, session or client. Commands built as `newCmdX(f, runF)` parse flags into options
 * and call `runF(options)`; tests pass a `runF` to check parsing, or call the run function
 * with a factory of fakes to check behaviour — no process either way.
 */
export interface Factory {
  io: IO;
  clock: { now(): number };
  /** a subcommand of the program (commander is loaded by the program, not at import time) */
  createCommand(name: string): Command;
  config(): Promise<ConfigStore>;
  /** the login to use; throws the "not logged in" CliError (exit 4) when there is none */
  session(): Promise<Session>;
  /** the API client for the session (a one-shot CLI client unless told otherwise) */
  client(): Promise<ApiClient>;
  /** session + client + queue, with the offline queue replayed first (default) */
  runtime(o?: RuntimeOptions): Promise<Runtime>;
  /** closes whatever was opened (connections) */
  close(): Promise<void>;
}

export function makeFactory(io: IO, program: Command, over: Partial<Factory> = {}): Factory {
  let store: ConfigStore | undefined;
  let rt: Runtime | undefined;
  let client: ApiClient | undefined;
  const f: Factory = {
    io,
    clock: { now: () => Date.now() },
    createCommand: (name) => program.createCommand(name),
    async config() {
      if (!store) store = (await import('./config.js')).openStore(io.env);
      return store;
    },
    async session() {
      const { loadSession } = await import('./config.js');
      const s = loadSession(io.env, await f.config());
      if (!s) throw (await import('./runtime.js')).notLoggedIn();
      return s;
    },
    async client() {
      if (rt) return rt.client;
      if (!client) {
        const s = await f.session();
        const { ApiClient: Client } = await import('../shared/client.js');
        const { CliError, EXIT } = await import('./exit-codes.js');
        try {
          client = new Client({
            baseUrl: s.server,
            token: s.token,
            channel: 'cli',
            connections: 2,
            oneShot: true,
          });
        } catch (e) {
          throw new CliError((e as Error).message, EXIT.usage);
        }
      }
      return client;
    },
    async runtime(o = {}) {
      if (!rt) rt = await (await import('./runtime.js')).openRuntime(io, o);
      return rt;
    },
    async close() {
      await rt?.close();
      await client?.close();
    },
    ...over,
  };
  return f;
}

/** Runs a command body with the factory and always closes what it opened. */
export async function using<T>(f: Factory, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await f.close();
  }
}

/**
 * Adds a command built by `newCmdX(f)` to the program with the program's settings (output,
 * exitOverride, suggestions) on it and on every subcommand under it.
 */
export function addTo(program: Command, cmd: Command): void {
  const inherit = (c: Command) => {
    c.copyInheritedSettings(program);
    for (const sub of c.commands) inherit(sub);
  };
  inherit(cmd);
  program.addCommand(cmd);
}
