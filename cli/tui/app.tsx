import type { Me } from '../../shared/schemas.js';
import type { RealtimeFeed, TuiStore } from './data.js';

export interface RunTuiOptions {
  server: string;
  token: string;
  io?: { env?: NodeJS.ProcessEnv; isTTY?: boolean } | undefined;
  store?: TuiStore;
  me?: Me | undefined;
  realtime?: RealtimeFeed | undefined;
}

/**
 * Renders the Ink app against a server and resolves when the user quits. The TUI draws on the
 * terminal's alternate screen so quitting restores what was there before.
 *
 * React picks its development or production build when it is first loaded, from NODE_ENV;
 * the development build made every key press several times slower, so React, Ink and the
 * screens are loaded here, after NODE_ENV defaults to production (no JSX in this file: the
 * JSX runtime would load React before that line).
 */
export async function runTui(opts: RunTuiOptions): Promise<void> {
  process.env.NODE_ENV ??= 'production';
  const [{ render }, React, { App }, { configTuiStore }, { httpData }, { pusherFeed }, { openStore }] =
    await Promise.all([
      import('ink'),
      import('react'),
      import('./Shell.js'),
      import('./data.js'),
      import('./http-data.js'),
      import('./realtime.js'),
      import('../config.js'),
    ]);
  const env = opts.io?.env ?? process.env;
  const server = opts.server.replace(/\/+$/, '');
  const conf = openStore(env);
  const me = opts.me ?? (conf.data().token === opts.token ? conf.data().me : undefined);
  const store = opts.store ?? configTuiStore(conf, server, opts.token, me);
  const realtime = opts.realtime ?? pusherFeed(server, opts.token);
  const tty = Boolean(process.stdout.isTTY);
  if (tty) process.stdout.write('\x1b[?1049h\x1b[H');
  const data = httpData(server, opts.token);
  try {
    const app = render(React.createElement(App, { data, store, server, realtime, fallbackMe: me }), {
      exitOnCtrlC: true,
      patchConsole: true,
      // up to 60 frames a second, so a key press is not held back by the 30 fps default
      // (Ink's incrementalRendering left stale lines behind in tmux, so it stays off)
      maxFps: 60,
    });
    await app.waitUntilExit();
  } finally {
    if (tty) process.stdout.write('\x1b[?1049l');
    await data.close?.().catch(() => {});
  }
}
