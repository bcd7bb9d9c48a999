import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Pieces of the Pusher Channels protocol (version 7) that are pure functions: close and
 * error codes, channel names, the channel-auth signature and the HTTP API request
 * signature. The hub, the routes and the external publisher share them.
 */

/** Close / `pusher:error` codes. 4000–4099: do not reconnect; 4100–4199: back off; 4200–4299: reconnect now; 4300+: other. */
export const PUSHER_CODES = {
  appNotFound: 4001,
  invalidVersion: 4006,
  unsupportedProtocol: 4007,
  noProtocol: 4008,
  unauthorized: 4009,
  overCapacity: 4100,
  reconnect: 4200,
  pongTimeout: 4201,
  badFrame: 4300,
  rateLimited: 4301,
} as const;

/** Protocol versions the hub speaks (pusher-js 8 sends 7). */
export const MIN_PROTOCOL = 5;
export const MAX_PROTOCOL = 7;

/** Pusher's channel name alphabet and length limit. */
const CHANNEL_RE = /^[A-Za-z0-9_\-=@,.;]{1,164}$/;

export type ChannelKind = 'public' | 'private' | 'unsupported';

export function isValidChannelName(name: unknown): name is string {
  return typeof name === 'string' && CHANNEL_RE.test(name);
}

/** Presence and end-to-end encrypted channels are not offered by this hub. */
export function channelKind(name: string): ChannelKind {
  if (name.startsWith('presence-') || name.startsWith('private-encrypted-')) return 'unsupported';
  if (name.startsWith('private-')) return 'private';
  return 'public';
}

/** The seed's `user.{userId}.bookings`, with the prefix Pusher requires for authenticated channels. */
export const userChannel = (userId: string) => `private-user.${userId}.bookings`;
export const providerChannel = (providerId: string) => `provider.${providerId}.availability`;

/** The user id of a `private-user.{userId}.bookings` channel, or null. */
export function userOfChannel(name: string): string | null {
  const m = /^private-user\.(.+)\.bookings$/.exec(name);
  return m ? m[1] : null;
}

export const SOCKET_ID_RE = /^\d{1,20}\.\d{1,20}$/;

/** `<key>:<hex HMAC-SHA256(secret, "<socket_id>:<channel>")>`, what /realtime/auth returns. */
export function channelAuth(key: string, secret: string, socketId: string, channel: string): string {
  return `${key}:${createHmac('sha256', secret).update(`${socketId}:${channel}`).digest('hex')}`;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function verifyChannelAuth(
  key: string,
  secret: string,
  socketId: string,
  channel: string,
  auth: unknown,
): boolean {
  return typeof auth === 'string' && safeEqual(auth, channelAuth(key, secret, socketId, channel));
}

export const md5Hex = (body: string) => createHash('md5').update(body, 'utf8').digest('hex');

/**
 * The string Pusher's HTTP API signs: method, path and the sorted `key=value` query
 * parameters other than auth_signature, one per line. Values are used as sent (the SDKs
 * only send URL-safe values here).
 */
export function apiStringToSign(method: string, path: string, params: Record<string, string>): string {
  const q = Object.keys(params)
    .filter((k) => k !== 'auth_signature')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  return `${method.toUpperCase()}\n${path}\n${q}`;
}

/** The signed query string for a request to a Pusher HTTP API (what the `pusher` SDK sends). */
export function signApiRequest(o: {
  key: string;
  secret: string;
  method: string;
  path: string;
  body?: string;
  nowSeconds: number;
}): string {
  const params: Record<string, string> = {
    auth_key: o.key,
    auth_timestamp: String(o.nowSeconds),
    auth_version: '1.0',
  };
  if (o.body) params.body_md5 = md5Hex(o.body);
  const sig = createHmac('sha256', o.secret)
    .update(apiStringToSign(o.method, o.path, params))
    .digest('hex');
  const q = Object.keys(params)
    .sort()
    .map((k) => `${k}=${encodeURIComponent(params[k])}`)
    .join('&');
  return `${q}&auth_signature=${sig}`;
}

export type ApiAuthFailure = 'bad_signature' | 'stale_signature';

/**
 * Checks a Pusher HTTP API request: the key, version, timestamp (±600 s, as Pusher does),
 * body MD5 and HMAC signature. Returns null when it is good, else why not.
 */
export function verifyApiRequest(o: {
  key: string;
  secret: string;
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  rawBody: string;
  nowSeconds: number;
  maxSkewSeconds?: number;
}): { code: ApiAuthFailure; detail: string } | null {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.query)) {
    if (Array.isArray(v)) return { code: 'bad_signature', detail: `query parameter ${k} given twice` };
    if (v !== undefined) params[k] = v;
  }
  const bad = (detail: string) => ({ code: 'bad_signature' as const, detail });
  if (params.auth_key !== o.key) return bad('unknown auth_key');
  if (params.auth_version !== '1.0') return bad('auth_version must be 1.0');
  const ts = Number(params.auth_timestamp);
  if (!params.auth_timestamp || !Number.isInteger(ts)) return bad('auth_timestamp missing');
  if (Math.abs(o.nowSeconds - ts) > (o.maxSkewSeconds ?? 600))
    return {
      code: 'stale_signature',
      detail: 'auth_timestamp is more than 600 seconds from the server time',
    };
  if (o.rawBody) {
    if (!params.body_md5 || !safeEqual(params.body_md5, md5Hex(o.rawBody)))
      return bad('body_md5 does not match the body');
  }
  const expected = createHmac('sha256', o.secret)
    .update(apiStringToSign(o.method, o.path, params))
    .digest('hex');
  if (!params.auth_signature || !safeEqual(params.auth_signature, expected))
    return bad('auth_signature does not match');
  return null;
}

/** `http://KEY:SECRET@HOST:PORT/apps/APP_ID` → its parts (APPT_PUSHER_URL). */
export interface PusherTarget {
  origin: string;
  host: string;
  port: number;
  tls: boolean;
  key: string;
  secret: string;
  appId: string;
  /** path prefix before /apps/{id} (usually empty) */
  prefix: string;
}

export function parsePusherUrl(url: string): PusherTarget {
  const u = new URL(url);
  const m = /^(.*)\/apps\/([^/]+)\/?$/.exec(u.pathname);
  if (!m || !u.username || !u.password)
    throw new Error('APPT_PUSHER_URL must look like http://KEY:SECRET@HOST:PORT/apps/APP_ID');
  const tls = u.protocol === 'https:';
  return {
    origin: `${u.protocol}//${u.host}`,
    host: u.hostname,
    port: u.port ? Number(u.port) : tls ? 443 : 80,
    tls,
    key: decodeURIComponent(u.username),
    secret: decodeURIComponent(u.password),
    appId: decodeURIComponent(m[2]),
    prefix: m[1],
  };
}
