import type { Publisher } from './feed.js';
import { type PusherTarget, signApiRequest } from './protocol.js';

/**
 * Publishes to an external Pusher-protocol service (Pusher, Soketi, or another appt hub)
 * through the Pusher HTTP events API, signed like the official SDK signs. Messages go out in
 * order, one request at a time; when the service is down the queue is bounded and the
 * oldest messages are dropped (clients refetch on reconnect, so a lost message costs little).
 */
export interface HttpPublisherOptions {
  target: PusherTarget;
  maxQueue?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  nowSeconds?: () => number;
  log?: { warn(obj: object, msg: string): void };
}

export interface HttpPublisher extends Publisher {
  /** resolves when everything queued so far has been sent (or failed) */
  flush(): Promise<void>;
  stats(): { sent: number; failed: number; dropped: number; queued: number };
  close(): Promise<void>;
}

export function httpPublisher(o: HttpPublisherOptions): HttpPublisher {
  const maxQueue = o.maxQueue ?? 1000;
  const doFetch = o.fetch ?? fetch;
  const nowSeconds = o.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const path = `${o.target.prefix}/apps/${encodeURIComponent(o.target.appId)}/events`;
  const queue: { channel: string; event: string; data: string }[] = [];
  const counts = { sent: 0, failed: 0, dropped: 0 };
  let running: Promise<void> | null = null;
  let closed = false;

  async function sendOne(m: { channel: string; event: string; data: string }): Promise<void> {
    const body = JSON.stringify({ name: m.event, channels: [m.channel], data: m.data });
    const qs = signApiRequest({
      key: o.target.key,
      secret: o.target.secret,
      method: 'POST',
      path,
      body,
      nowSeconds: nowSeconds(),
    });
    try {
      const r = await doFetch(`${o.target.origin}${path}?${qs}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(o.timeoutMs ?? 5000),
      });
      await r.text();
      if (r.ok) counts.sent++;
      else {
        counts.failed++;
        o.log?.warn({ status: r.status, event: m.event }, 'external realtime service refused an event');
      }
    } catch (err) {
      counts.failed++;
      o.log?.warn({ err, event: m.event }, 'external realtime service unreachable');
    }
  }

  function pump(): Promise<void> {
    if (!running)
      running = (async () => {
        while (queue.length > 0) await sendOne(queue.shift()!);
        running = null;
      })();
    return running;
  }

  return {
    publish(channel, event, data) {
      if (closed) return;
      queue.push({ channel, event, data: typeof data === 'string' ? data : JSON.stringify(data) });
      while (queue.length > maxQueue) {
        queue.shift();
        counts.dropped++;
      }
      void pump();
    },
    flush: () => running ?? Promise.resolve(),
    stats: () => ({ ...counts, queued: queue.length }),
    async close() {
      closed = true;
      // give what is queued a moment to leave, but never hold shutdown hostage
      await Promise.race([running ?? Promise.resolve(), new Promise((r) => setTimeout(r, 2000).unref())]);
      queue.length = 0;
    },
  };
}
