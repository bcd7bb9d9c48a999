import WebSocket from 'ws';
import { connectRealtime, type RealtimeClient, type RealtimeEvent } from '../../shared/realtime-client.js';

/**
 * Test helpers for realtime: an event recorder over the real pusher-js client and a raw
 * `ws` client that speaks the Pusher protocol frame by frame.
 */

export interface Recorder {
  client: RealtimeClient;
  events: RealtimeEvent[];
  errors: { channel: string; error: { status?: number; type?: string } }[];
  states: string[];
  /** the first matching event after the one the previous next() returned (or from index `from`) */
  next(pred: (e: RealtimeEvent) => boolean, timeoutMs?: number, from?: number): Promise<RealtimeEvent>;
  subscribed(channel: string, timeoutMs?: number): Promise<void>;
  close(): void;
}

export async function record(o: {
  server: string;
  token: string;
  userIds?: string[];
  providerIds?: string[];
}): Promise<Recorder> {
  const events: RealtimeEvent[] = [];
  const errors: Recorder['errors'] = [];
  const states: string[] = [];
  const waiters = new Set<() => void>();
  // next() consumes events in order: each call looks past the last event it returned
  let cursor = 0;
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  const client = await connectRealtime({
    ...o,
    onEvent: (e) => {
      events.push(e);
      poke();
    },
    onState: (s) => {
      states.push(s);
      poke();
    },
    onSubscribed: () => poke(),
    onSubscriptionError: (channel, error) => {
      errors.push({ channel, error });
      poke();
    },
  });
  const waitFor = <T>(check: () => T | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const hit = check();
      if (hit !== undefined) return resolve(hit);
      const t = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events).slice(0, 2000)}`));
      }, timeoutMs);
      const w = () => {
        const v = check();
        if (v !== undefined) {
          clearTimeout(t);
          waiters.delete(w);
          resolve(v);
        }
      };
      waiters.add(w);
    });
  return {
    client,
    events,
    errors,
    states,
    next: (pred, timeoutMs = 5000, from) =>
      waitFor(
        () => {
          const start = from ?? cursor;
          for (let i = start; i < events.length; i++)
            if (pred(events[i])) {
              cursor = Math.max(cursor, i + 1);
              return events[i];
            }
          return undefined;
        },
        timeoutMs,
        'an event',
      ),
    subscribed: (channel, timeoutMs = 5000) =>
      waitFor(
        () => {
          const ch = client.pusher.channel(channel);
          if (ch?.subscribed) return true;
          const err = errors.find((e) => e.channel === channel);
          if (err) throw new Error(`subscription to ${channel} refused: ${JSON.stringify(err.error)}`);
          return undefined;
        },
        timeoutMs,
        `subscription to ${channel}`,
      ).then(() => undefined),
    close: () => client.close(),
  };
}

export interface RawFrame {
  event: string;
  channel?: string;
  data?: any;
}

/** A bare Pusher-protocol client over `ws`: frames in, frames out, no retries. */
export interface RawClient {
  ws: WebSocket;
  frames: RawFrame[];
  socketId: string;
  send(frame: unknown): void;
  next(pred: (f: RawFrame) => boolean, timeoutMs?: number): Promise<RawFrame>;
  closed: Promise<{ code: number; reason: string }>;
}

export function rawConnect(url: string): Promise<RawClient> {
  const ws = new WebSocket(url);
  const frames: RawFrame[] = [];
  const waiters = new Set<() => void>();
  let seen = 0;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of [...waiters]) w();
    }),
  );
  const client: RawClient = {
    ws,
    frames,
    socketId: '',
    closed,
    send: (f) => ws.send(typeof f === 'string' ? f : JSON.stringify(f)),
    next(pred, timeoutMs = 3000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (; seen < frames.length; seen++) {
            if (pred(frames[seen])) {
              const f = frames[seen++];
              return f;
            }
          }
          return undefined;
        };
        const hit = check();
        if (hit) return resolve(hit);
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no matching frame; got ${JSON.stringify(frames).slice(0, 1500)}`));
        }, timeoutMs);
        const w = () => {
          const f = check();
          if (f) {
            clearTimeout(t);
            waiters.delete(w);
            resolve(f);
          }
        };
        waiters.add(w);
      });
    },
  };
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString()) as RawFrame;
    if (typeof f.data === 'string') {
      try {
        f.data = JSON.parse(f.data);
      } catch {
        // keep the string
      }
    }
    frames.push(f);
    for (const w of [...waiters]) w();
  });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    client
      .next((f) => f.event === 'pusher:connection_established' || f.event === 'pusher:error')
      .then((f) => {
        if (f.event === 'pusher:connection_established') client.socketId = f.data.socket_id;
        resolve(client);
      }, reject);
  });
}
