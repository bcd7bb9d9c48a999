import { randomInt } from 'node:crypto';
import type { RawData, WebSocket } from 'ws';
import {
  channelKind,
  isValidChannelName,
  MAX_PROTOCOL,
  MIN_PROTOCOL,
  PUSHER_CODES,
  verifyChannelAuth,
} from './protocol.js';

/**
 * The embedded Pusher Channels hub (protocol 7): connections, subscriptions and fan-out.
 * It knows nothing of HTTP routing; the plugin hands it each upgraded socket. Liveness uses
 * the real clock on purpose: it is about sockets, not about the domain's (injectable) time.
 */

export interface HubOptions {
  key: string;
  secret: string;
  /** seconds a client may stay silent before the hub pings it (sent to clients too) */
  activityTimeoutSeconds?: number;
  /** ms to wait for any frame after a ping before closing with 4201 */
  pongTimeoutMs?: number;
  /** how often liveness is checked */
  sweepMs?: number;
  /** frames larger than this are refused with pusher:error 4300 */
  maxFrameBytes?: number;
  maxChannelsPerConnection?: number;
  maxConnections?: number;
  /** frames per second a client may send before frames are dropped with 4301 */
  maxFramesPerSecond?: number;
  /** bytes queued for a client beyond which it is dropped as too slow (4100) */
  maxBufferedBytes?: number;
  now?: () => number;
  log?: { warn(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

export interface HubStats {
  connections: number;
  /** (connection, channel) pairs */
  subscriptions: number;
  channels: number;
  published: number;
  delivered: number;
  dropped: number;
}

interface Conn {
  id: string;
  ws: WebSocket;
  channels: Set<string>;
  lastSeen: number;
  pingSentAt: number | null;
  frameWindow: number;
  framesInWindow: number;
  closed: boolean;
}

const OPEN = 1;

export class Hub {
  private readonly conns = new Map<string, Conn>();
  private readonly channels = new Map<string, Set<Conn>>();
  private readonly o: Required<Omit<HubOptions, 'log'>> & Pick<HubOptions, 'log'>;
  private readonly sweeper: NodeJS.Timeout;
  private closing = false;
  private counters = { published: 0, delivered: 0, dropped: 0 };

  constructor(opts: HubOptions) {
    this.o = {
      activityTimeoutSeconds: 120,
      pongTimeoutMs: 30_000,
      sweepMs: 5_000,
      maxFrameBytes: 10 * 1024,
      maxChannelsPerConnection: 100,
      maxConnections: 20_000,
      // above maxChannelsPerConnection, so a client re-subscribing everything at once is never cut off
      maxFramesPerSecond: 200,
      maxBufferedBytes: 4 * 1024 * 1024,
      now: () => Date.now(),
      ...opts,
    };
    this.sweeper = setInterval(() => this.sweep(), this.o.sweepMs);
    this.sweeper.unref();
  }

  get key(): string {
    return this.o.key;
  }

  /** Takes an upgraded socket for `/app/{appKey}?protocol=…`; refuses it with a Pusher close code when it must. */
  accept(ws: WebSocket, appKey: string, query: Record<string, unknown>) {
    const refuse = (code: number, message: string) => {
      sendRaw(ws, { event: 'pusher:error', data: { code, message } });
      ws.close(code, message);
    };
    if (this.closing) return refuse(PUSHER_CODES.reconnect, 'server shutting down, reconnect');
    if (appKey !== this.o.key) return refuse(PUSHER_CODES.appNotFound, 'Application does not exist');
    const p = query.protocol;
    if (p === undefined || p === '') return refuse(PUSHER_CODES.noProtocol, 'No protocol version supplied');
    if (typeof p !== 'string' || !/^\d{1,3}$/.test(p))
      return refuse(PUSHER_CODES.invalidVersion, 'Invalid version string format');
    if (Number(p) < MIN_PROTOCOL || Number(p) > MAX_PROTOCOL)
      return refuse(PUSHER_CODES.unsupportedProtocol, `Unsupported protocol version ${p}`);
    if (this.conns.size >= this.o.maxConnections)
      return refuse(PUSHER_CODES.overCapacity, 'Over capacity, try again later');

    let id: string;
    do id = `${randomInt(1, 2 ** 40)}.${randomInt(1, 2 ** 40)}`;
    while (this.conns.has(id));
    const now = this.o.now();
    const conn: Conn = {
      id,
      ws,
      channels: new Set(),
      lastSeen: now,
      pingSentAt: null,
      frameWindow: now,
      framesInWindow: 0,
      closed: false,
    };
    this.conns.set(id, conn);
    ws.on('message', (data, isBinary) => this.onFrame(conn, data, isBinary));
    ws.on('close', () => this.drop(conn));
    ws.on('error', (err) => {
      this.o.log?.debug({ err, socketId: id }, 'realtime socket error');
      this.drop(conn);
    });
    sendRaw(ws, {
      event: 'pusher:connection_established',
      data: JSON.stringify({ socket_id: id, activity_timeout: this.o.activityTimeoutSeconds }),
    });
  }

  /**
   * Sends an event to every subscriber of a channel (except `exceptSocketId`, as Pusher's
   * `socket_id` parameter asks). The frame is encoded once for all of them.
   */
  publish(channel: string, event: string, data: unknown, exceptSocketId?: string): number {
    this.counters.published++;
    const subs = this.channels.get(channel);
    if (!subs || subs.size === 0) return 0;
    const frame = Buffer.from(
      JSON.stringify({ event, channel, data: typeof data === 'string' ? data : JSON.stringify(data) }),
    );
    let n = 0;
    for (const c of subs) {
      if (c.id === exceptSocketId || c.closed || c.ws.readyState !== OPEN) continue;
      if (c.ws.bufferedAmount > this.o.maxBufferedBytes) {
        // a client that cannot keep up would hold memory for everyone; it refetches on reconnect
        this.counters.dropped++;
        this.end(c, PUSHER_CODES.overCapacity, 'client too slow, reconnect later');
        continue;
      }
      c.ws.send(frame, { binary: false });
      n++;
    }
    this.counters.delivered += n;
    return n;
  }

  stats(): HubStats {
    let subscriptions = 0;
    for (const c of this.conns.values()) subscriptions += c.channels.size;
    return { connections: this.conns.size, subscriptions, channels: this.channels.size, ...this.counters };
  }

  subscriberCount(channel: string): number {
    return this.channels.get(channel)?.size ?? 0;
  }

  listening(channel: string): boolean {
    return this.channels.has(channel);
  }

  /** Closes every socket with 1001 (going away), stops timers; resolves once all sockets are gone. */
  async close(graceMs = 1000): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    const sockets = [...this.conns.values()].map((c) => c.ws);
    for (const c of [...this.conns.values()]) this.end(c, 1001, 'server shutting down');
    const pending = sockets.filter((ws) => ws.readyState !== 3);
    if (pending.length === 0) return;
    await new Promise<void>((resolve) => {
      let left = pending.length;
      const t = setTimeout(() => {
        // a peer that never answers the close handshake must not hold the process open
        for (const ws of pending) if (ws.readyState !== 3) ws.terminate();
        resolve();
      }, graceMs);
      t.unref();
      for (const ws of pending)
        ws.once('close', () => {
          if (--left === 0) {
            clearTimeout(t);
            resolve();
          }
        });
    });
  }

  private onFrame(c: Conn, raw: RawData, isBinary: boolean) {
    if (c.closed) return;
    const now = this.o.now();
    c.lastSeen = now;
    c.pingSentAt = null;
    if (now - c.frameWindow >= 1000) {
      c.frameWindow = now;
      c.framesInWindow = 0;
    }
    if (++c.framesInWindow > this.o.maxFramesPerSecond) {
      if (c.framesInWindow === this.o.maxFramesPerSecond + 1)
        this.error(c, PUSHER_CODES.rateLimited, 'Too many messages; frames are being dropped');
      return;
    }
    const size = Array.isArray(raw)
      ? raw.reduce((s, b) => s + b.length, 0)
      : raw instanceof ArrayBuffer
        ? raw.byteLength
        : raw.length;
    if (size > this.o.maxFrameBytes)
      return this.error(c, PUSHER_CODES.badFrame, `Message too large (limit ${this.o.maxFrameBytes} bytes)`);
    if (isBinary) return this.error(c, PUSHER_CODES.badFrame, 'Binary frames are not supported');
    let msg: unknown;
    try {
      msg = JSON.parse(Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : raw.toString());
    } catch {
      return this.error(c, PUSHER_CODES.badFrame, 'Invalid JSON');
    }
    if (!msg || typeof msg !== 'object' || typeof (msg as { event?: unknown }).event !== 'string')
      return this.error(c, PUSHER_CODES.badFrame, 'A message needs a string "event"');
    const { event } = msg as { event: string };
    let data = (msg as { data?: unknown }).data;
    if (typeof data === 'string') {
      try {
        data = JSON.parse(data);
      } catch {
        // plain string data is only meaningful for client events, which are refused below
      }
    }
    switch (event) {
      case 'pusher:ping':
        return sendRaw(c.ws, { event: 'pusher:pong', data: {} });
      case 'pusher:pong':
        return;
      case 'pusher:subscribe':
        return this.subscribe(c, data);
      case 'pusher:unsubscribe':
        return this.unsubscribe(c, data);
      case 'pusher:signin':
        return this.error(c, PUSHER_CODES.badFrame, 'User authentication (signin) is not supported');
      default:
        if (event.startsWith('client-'))
          return this.error(c, PUSHER_CODES.badFrame, 'Client events are not enabled');
        return this.error(c, PUSHER_CODES.badFrame, `Unknown event ${JSON.stringify(event.slice(0, 64))}`);
    }
  }

  private subscribe(c: Conn, data: unknown) {
    const d = (data && typeof data === 'object' ? data : {}) as {
      channel?: unknown;
      auth?: unknown;
    };
    if (!isValidChannelName(d.channel))
      return this.error(c, PUSHER_CODES.badFrame, 'pusher:subscribe needs a valid channel name');
    const channel = d.channel;
    const refuse = (type: string, error: string, status: number) =>
      sendRaw(c.ws, { event: 'pusher:subscription_error', channel, data: { type, error, status } });
    const kind = channelKind(channel);
    if (kind === 'unsupported')
      return refuse('UnsupportedChannel', 'presence and encrypted channels are not supported', 400);
    if (kind === 'private' && !verifyChannelAuth(this.o.key, this.o.secret, c.id, channel, d.auth))
      return refuse('AuthError', 'Invalid signature for this socket and channel', 401);
    if (!c.channels.has(channel)) {
      if (c.channels.size >= this.o.maxChannelsPerConnection)
        return refuse(
          'LimitReached',
          `at most ${this.o.maxChannelsPerConnection} channels per connection`,
          429,
        );
      c.channels.add(channel);
      let subs = this.channels.get(channel);
      if (!subs) this.channels.set(channel, (subs = new Set()));
      subs.add(c);
    }
    sendRaw(c.ws, { event: 'pusher_internal:subscription_succeeded', channel, data: '{}' });
  }

  private unsubscribe(c: Conn, data: unknown) {
    const d = (data && typeof data === 'object' ? data : {}) as { channel?: unknown };
    if (!isValidChannelName(d.channel))
      return this.error(c, PUSHER_CODES.badFrame, 'pusher:unsubscribe needs a valid channel name');
    this.leave(c, d.channel);
  }

  private leave(c: Conn, channel: string): void {
    if (!c.channels.delete(channel)) return;
    const subs = this.channels.get(channel);
    subs?.delete(c);
    if (subs && subs.size === 0) this.channels.delete(channel);
  }

  private error(c: Conn, code: number, message: string): void {
    sendRaw(c.ws, { event: 'pusher:error', data: { code, message } });
  }

  /** Ends a connection from our side: subscriptions go at once, the socket follows. */
  private end(c: Conn, code: number, reason: string): void {
    this.drop(c);
    if (c.ws.readyState === OPEN || c.ws.readyState === 0) c.ws.close(code, reason);
  }

  private drop(c: Conn): void {
    if (c.closed) return;
    c.closed = true;
    for (const ch of [...c.channels]) this.leave(c, ch);
    this.conns.delete(c.id);
  }

  /** Pings silent clients and closes those that did not answer (4201). */
  private sweep(): void {
    const now = this.o.now();
    const idleMs = this.o.activityTimeoutSeconds * 1000;
    for (const c of [...this.conns.values()]) {
      if (c.pingSentAt !== null) {
        if (now - c.pingSentAt > this.o.pongTimeoutMs)
          this.end(c, PUSHER_CODES.pongTimeout, 'Pong reply not received');
      } else if (now - c.lastSeen >= idleMs) {
        c.pingSentAt = now;
        sendRaw(c.ws, { event: 'pusher:ping', data: {} });
      }
    }
  }
}

function sendRaw(ws: WebSocket, frame: Record<string, unknown>): void {
  if (ws.readyState === OPEN) ws.send(JSON.stringify(frame));
}
