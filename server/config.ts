import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { redactUrl } from '../shared/redact.js';

/** The validated server configuration. Precedence: flags > env > <data-dir>/appt.json > defaults. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** ':memory:' in unit tests; otherwise <dataDir>/appt.db */
  dbPath: string;
  /** `postgres://…`: run on PostgreSQL instead of the SQLite file (APPT_DATABASE_URL) */
  databaseUrl: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  smsWebhookUrl: string | undefined;
  pushWebhookUrl: string | undefined;
  webhookSecret: string;
  reservationTtlSeconds: number;
  pusherAppId: string;
  pusherKey: string;
  pusherSecret: string;
  pusherUrl: string | undefined;
  rateLimitUser: number;
  rateLimitStaff: number;
  rateLimitAuthFailures: number;
  /** live holds one `user` token may have at once (staff and admin are unbounded); 0 = off */
  maxHoldsPerUser: number;
  /** memory for serialised user-list pages by their ETag, per process, in MB; 0 = off */
  listCacheMb: number;
  /** SQLite: transactions arriving together share one COMMIT (server/db/sqlite.ts) */
  groupCommit: boolean;
  /** origins allowed by CORS; empty = CORS off */
  corsOrigins: string[];
  logLevel: string;
  demo: boolean;
  jobs: boolean;
  bodyLimit: number;
  /** `appt serve --workers N` (APPT_WORKERS): server processes under node:cluster; above 1 needs PostgreSQL */
  workers: number;
  /**
   * Fastify `trustProxy` (APPT_TRUST_PROXY): whose X-Forwarded-For to believe for the client's
   * address (the failed-auth brake keys on it). false (default): the peer's own address.
   */
  trustProxy: boolean | number | string;
  /**
   * The secrets that were not configured and came from <data-dir>/secrets.json. On
   * PostgreSQL every process adopts the first process's instead (server/ops/secrets.ts), so
   * a client signed by one is accepted by all.
   */
  generatedSecrets?: (keyof GeneratedSecrets)[];
}

export const ENV_KEYS = {
  port: 'APPT_PORT',
  host: 'APPT_HOST',
  dataDir: 'APPT_DATA_DIR',
  databaseUrl: 'APPT_DATABASE_URL',
  smtpUrl: 'APPT_SMTP_URL',
  mailFrom: 'APPT_MAIL_FROM',
  smsWebhookUrl: 'APPT_SMS_WEBHOOK_URL',
  pushWebhookUrl: 'APPT_PUSH_WEBHOOK_URL',
  webhookSecret: 'APPT_WEBHOOK_SECRET',
  reservationTtlSeconds: 'APPT_RESERVATION_TTL_SECONDS',
  pusherAppId: 'APPT_PUSHER_APP_ID',
  pusherKey: 'APPT_PUSHER_KEY',
  pusherSecret: 'APPT_PUSHER_SECRET',
  pusherUrl: 'APPT_PUSHER_URL',
  rateLimitUser: 'APPT_RATE_LIMIT_USER',
  rateLimitStaff: 'APPT_RATE_LIMIT_STAFF',
  maxHoldsPerUser: 'APPT_MAX_HOLDS_PER_USER',
  listCacheMb: 'APPT_LIST_CACHE_MB',
  groupCommit: 'APPT_GROUP_COMMIT',
  corsOrigins: 'APPT_CORS_ORIGINS',
  logLevel: 'APPT_LOG_LEVEL',
  workers: 'APPT_WORKERS',
  trustProxy: 'APPT_TRUST_PROXY',
} as const satisfies Partial<Record<keyof Config, string>>;

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`config ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Raw = Partial<Record<keyof Config, unknown>>;

function int(key: string, v: unknown, min: number, max: number): number {
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(key, `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

function onOff(key: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === '') return fallback;
  if (typeof v === 'boolean') return v;
  const t = String(v).trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(t)) return true;
  if (['0', 'false', 'off', 'no'].includes(t)) return false;
  throw new ConfigError(key, `expected 1/0 (on/off, true/false), got ${JSON.stringify(v)}`);
}

function url(key: string, v: unknown): string | undefined {
  if (v === undefined || v === '') return undefined;
  try {
    new URL(String(v));
  } catch {
    throw new ConfigError(key, `not a URL: ${JSON.stringify(v)}`);
  }
  return String(v);
}

/** `APPT_CORS_ORIGINS`: a comma list of origins (`https://desk.example.com`), or `*`. */
function origins(v: unknown): string[] {
  if (v === undefined || v === '') return [];
  const list = Array.isArray(v) ? v.map(String) : String(v).split(',');
  const out = list.map((o) => o.trim()).filter(Boolean);
  for (const o of out) {
    if (o === '*') continue;
    let u: URL;
    try {
      u = new URL(o);
    } catch {
      throw new ConfigError(ENV_KEYS.corsOrigins, `not an origin: ${JSON.stringify(o)}`);
    }
    if (u.origin !== o.replace(/\/$/, ''))
      throw new ConfigError(
        ENV_KEYS.corsOrigins,
        `an origin is scheme://host[:port], got ${JSON.stringify(o)}`,
      );
  }
  return out.map((o) => o.replace(/\/$/, ''));
}

function databaseUrl(v: string | undefined): string | undefined {
  if (v === undefined) return v;
  if (!/^postgres(ql)?:\/\//.test(v))
    throw new ConfigError(
      ENV_KEYS.databaseUrl,
      'must be a postgres:// URL (unset: the SQLite file in the data directory)',
    );
  return v;
}

function pusherUrl(v: string | undefined): string | undefined {
  if (v === undefined) return v;
  const u = new URL(v);
  if (!u.username || !u.password || !/\/apps\/[^/]+\/?$/.test(u.pathname))
    throw new ConfigError(ENV_KEYS.pusherUrl, 'must look like http://KEY:SECRET@HOST:PORT/apps/APP_ID');
  return v;
}

function fromEnv(env: NodeJS.ProcessEnv): Raw {
  const raw: Raw = {};
  for (const [k, name] of Object.entries(ENV_KEYS))
    if (env[name] !== undefined) raw[k as keyof Config] = env[name];
  return raw;
}

function fromFile(dataDir: string): Raw {
  const p = join(dataDir, 'appt.json');
  if (!existsSync(p)) return {};
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new ConfigError(p, `not valid JSON (${(e as Error).message})`);
  }
  // The file holds the same keys as the environment (APPT_PORT …) or their camelCase names.
  const known = new Set<string>([...Object.keys(ENV_KEYS), ...Object.values(ENV_KEYS)]);
  for (const key of Object.keys(parsed))
    if (!known.has(key))
      throw new ConfigError(
        p,
        `unknown key ${JSON.stringify(key)} (known: ${Object.values(ENV_KEYS).join(', ')})`,
      );
  const raw: Raw = {};
  for (const [k, name] of Object.entries(ENV_KEYS)) {
    if (parsed[name] !== undefined) raw[k as keyof Config] = parsed[name];
    else if (parsed[k] !== undefined) raw[k as keyof Config] = parsed[k];
  }
  return raw;
}

/** Secrets the server generates into the data directory when they are not configured. */
export interface GeneratedSecrets {
  webhookSecret: string;
  pusherAppId: string;
  pusherKey: string;
  pusherSecret: string;
}

export function loadConfig(
  flags: Raw = {},
  env: NodeJS.ProcessEnv = process.env,
  secrets?: (dataDir: string) => GeneratedSecrets,
): Config {
  const dataDir = resolve(String(flags.dataDir ?? env.APPT_DATA_DIR ?? './data'));
  const merged: Raw = { ...fromFile(dataDir), ...fromEnv(env), ...stripUndefined(flags) };
  const gen =
    merged.webhookSecret && merged.pusherAppId && merged.pusherKey && merged.pusherSecret
      ? undefined
      : secrets?.(dataDir);
  const ttl = int(ENV_KEYS.reservationTtlSeconds, merged.reservationTtlSeconds ?? 90, 1, 3600);
  const level = String(merged.logLevel ?? 'info');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level))
    throw new ConfigError(ENV_KEYS.logLevel, `unknown level ${JSON.stringify(level)}`);
  return {
    port: int(ENV_KEYS.port, merged.port ?? 7400, 0, 65535),
    host: String(merged.host ?? '127.0.0.1'),
    dataDir,
    dbPath: String(merged.dbPath ?? join(dataDir, 'appt.db')),
    databaseUrl: databaseUrl(url(ENV_KEYS.databaseUrl, merged.databaseUrl)),
    smtpUrl: url(ENV_KEYS.smtpUrl, merged.smtpUrl),
    mailFrom: String(merged.mailFrom ?? 'appt <noreply@appt.local>'),
    smsWebhookUrl: url(ENV_KEYS.smsWebhookUrl, merged.smsWebhookUrl),
    pushWebhookUrl: url(ENV_KEYS.pushWebhookUrl, merged.pushWebhookUrl),
    webhookSecret: String(merged.webhookSecret ?? gen?.webhookSecret ?? 'dev-webhook-secret'),
    reservationTtlSeconds: ttl,
    pusherAppId: String(merged.pusherAppId ?? gen?.pusherAppId ?? 'appt'),
    pusherKey: String(merged.pusherKey ?? gen?.pusherKey ?? 'appt-key'),
    pusherSecret: String(merged.pusherSecret ?? gen?.pusherSecret ?? 'appt-secret'),
    pusherUrl: pusherUrl(url(ENV_KEYS.pusherUrl, merged.pusherUrl)),
    rateLimitUser: int(ENV_KEYS.rateLimitUser, merged.rateLimitUser ?? 60, 0, 1e9),
    rateLimitStaff: int(ENV_KEYS.rateLimitStaff, merged.rateLimitStaff ?? 60_000, 0, 1e9),
    rateLimitAuthFailures: int('rateLimitAuthFailures', merged.rateLimitAuthFailures ?? 100, 0, 1e9),
    maxHoldsPerUser: int(ENV_KEYS.maxHoldsPerUser, merged.maxHoldsPerUser ?? 2, 0, 1000),
    listCacheMb: int(ENV_KEYS.listCacheMb, merged.listCacheMb ?? 16, 0, 4096),
    groupCommit: onOff(ENV_KEYS.groupCommit, merged.groupCommit, true),
    corsOrigins: origins(merged.corsOrigins),
    logLevel: level,
    demo: Boolean(merged.demo ?? false),
    jobs: merged.jobs === undefined ? true : Boolean(merged.jobs),
    bodyLimit: int('bodyLimit', merged.bodyLimit ?? 256 * 1024, 1024, 64 * 1024 * 1024),
    workers: workers(merged.workers, merged.databaseUrl),
    trustProxy: trustProxy(merged.trustProxy),
    ...(gen
      ? { generatedSecrets: GENERATED.filter((k) => merged[k] === undefined || merged[k] === null) }
      : {}),
  };
}

const GENERATED: (keyof GeneratedSecrets)[] = ['webhookSecret', 'pusherAppId', 'pusherKey', 'pusherSecret'];

/**
 * More than one server process shares one database: SQLite's single writer (and its
 * in-process transaction queue) holds only inside one process, so that needs PostgreSQL.
 */
function workers(v: unknown, databaseUrl: unknown): number {
  const n = int(ENV_KEYS.workers, v ?? 1, 1, 64);
  if (n > 1 && !databaseUrl)
    throw new ConfigError(
      ENV_KEYS.workers,
      `${n} workers need PostgreSQL (APPT_DATABASE_URL / --database-url): SQLite allows one server process per database`,
    );
  return n;
}

/**
 * `APPT_TRUST_PROXY`: unset/false = trust no proxy; true = trust every hop (only when the
 * server is reachable through the proxy alone); a number = that many hops; otherwise a
 * comma list of addresses/CIDRs of the proxies (`127.0.0.1,10.0.0.0/8`).
 */
function trustProxy(v: unknown): boolean | number | string {
  if (v === undefined || v === '' || v === false || v === 'false') return false;
  if (v === true || v === 'true') return true;
  if (typeof v === 'number' || /^\d+$/.test(String(v).trim())) return int(ENV_KEYS.trustProxy, v, 1, 100);
  const list = String(v)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  for (const a of list)
    if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(a) && !['loopback', 'linklocal', 'uniquelocal'].includes(a))
      throw new ConfigError(
        ENV_KEYS.trustProxy,
        `expected true, a hop count or a comma list of proxy addresses/CIDRs, got ${JSON.stringify(a)}`,
      );
  return list.join(',');
}

/** A config for tests: in-memory database, no jobs, quiet logs, short TTL unless given. */
export function testConfig(over: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ dataDir: over.dataDir ?? '/tmp/appt-test-unused' }, {}),
    dbPath: ':memory:',
    logLevel: 'silent',
    jobs: false,
    ...over,
  };
}

export function maskedConfig(c: Config): Record<string, unknown> {
  const mask = (s: string | undefined) => (s ? `${s.slice(0, 2)}…(${s.length})` : s);
  const maskUrl = (s: string | undefined) => redactUrl(s) ?? undefined;
  return {
    ...c,
    webhookSecret: mask(c.webhookSecret),
    pusherSecret: mask(c.pusherSecret),
    // every URL that may carry credentials in its userinfo
    smtpUrl: maskUrl(c.smtpUrl),
    pusherUrl: maskUrl(c.pusherUrl),
    smsWebhookUrl: maskUrl(c.smsWebhookUrl),
    pushWebhookUrl: maskUrl(c.pushWebhookUrl),
    databaseUrl: maskUrl(c.databaseUrl),
  };
}

function stripUndefined(o: Raw): Raw {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Raw;
}
