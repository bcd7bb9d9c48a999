import { createRequire } from 'node:module';
import { api } from '../bench/common.js';
import type { Ledger } from './ledger.js';
import type { Supervised } from './server.js';

/**
 * pusher-js subscribers watching every provider's availability channel through the run,
 * across server kills (pusher-js reconnects by itself; the server comes back on the same
 * port). Optional: when the server has no realtime hub (GET /realtime/config is not 200),
 * the soak notes it and goes on.
 */

const require = createRequire(import.meta.url);

export interface Watchers {
  close(): void;
}

export async function watch(
  server: Supervised,
  token: string,
  providerIds: string[],
  n: number,
  ledger: Ledger,
): Promise<Watchers> {
  let cfg: any;
  try {
    const r = await api(server.url, token, 'GET', '/realtime/config');
    if (r.status !== 200) {
      ledger.notes.push(
        `realtime: GET /realtime/config answered ${r.status}; no pusher-js subscribers this run`,
      );
      return { close() {} };
    }
    cfg = r.json;
  } catch (err) {
    ledger.notes.push(`realtime: GET /realtime/config failed (${String(err)}); no subscribers this run`);
    return { close() {} };
  }
  const PusherMod = require('pusher-js');
  const Pusher = PusherMod.default ?? PusherMod;
  const clients: any[] = [];
  for (let i = 0; i < n; i++) {
    const p = new Pusher(cfg.key, {
      wsHost: cfg.wsHost ?? '127.0.0.1',
      wsPort: cfg.wsPort ?? server.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      cluster: 'local',
    });
    for (const id of providerIds) {
      const ch = p.subscribe(`provider.${id}.availability`);
      ch.bind_global((event: string) => {
        if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) return;
        ledger.realtimeEvents++;
        ledger.lastRealtimeEventAt = Date.now();
      });
    }
    clients.push(p);
  }
  ledger.realtimeSubscribers = n;
  return {
    close() {
      for (const c of clients) c.disconnect();
    },
  };
}
