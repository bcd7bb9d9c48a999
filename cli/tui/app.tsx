import { render } from 'ink';
import type { Me } from '../../shared/schemas.js';
import { configTuiStore, type RealtimeFeed, type TuiStore } from './data.js';
import { httpData } from './http-data.js';
import { pusherFeed } from './realtime.js';
import { App } from './Shell.js';

export { App } from './Shell.js';

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
 */
export async function runTui(opts: RunTuiOptions): Promise<void> {
  const env = opts.io?.env ?? process.env;
  const server = opts.server.replace(/\/+$/, '');
  const { openStore } = await import('../config.js');
  const conf = openStore(env);
  const store = opts.store ?? configTuiStore(conf, server);
  const me = opts.me ?? (conf.data().token === opts.token ? conf.data().me : undefined);
  const realtime = opts.realtime ?? pusherFeed(server, opts.token);
  const tty = Boolean(process.stdout.isTTY);
  if (tty) process.stdout.write('\x1b[?1049h\x1b[H');
  const data = httpData(server, opts.token);
  try {
    const app = render(
      <App data={data} store={store} server={server} realtime={realtime} fallbackMe={me} />,
      {
        exitOnCtrlC: true,
        patchConsole: true,
        // up to 60 frames a second, so a key press is not held back by the 30 fps default
        // (Ink's incrementalRendering left stale lines behind in tmux, so it stays off)
        maxFps: 60,
      },
    );
    await app.waitUntilExit();
  } finally {
    if (tty) process.stdout.write('\x1b[?1049l');
    await data.close?.().catch(() => {});
  }
}
