import type { Dispatcher } from 'undici';
import type {
  Alternatives,
  Appointment,
  AppointmentDetail,
  AppointmentPage,
  AuditEntry,
  AuditPage,
  AuditVerify,
  Availability,
  CancellationQuote,
  CancelResult,
  Channel,
  CheckResult,
  CreatedToken,
  CreateProvider,
  CreateService,
  CreateToken,
  CreateUser,
  HoursBody,
  Me,
  Provider,
  Reservation,
  Service,
  TimeOff,
  TimeOffBody,
  TokenInfo,
  User,
} from './api-types.js';
import type { Removed, UpdateProvider, UpdateService } from './catalog-types.js';
import { ApiError, etagVersion, isOfflineCause, OfflineError, retryAfterMs } from './api-errors.js';
import { KeptAnswers, type RawResponse, Transport } from './transport.js';

/**
 * The one typed API client used by the CLI and the TUI: paths, headers, JSON, retries
 * after 429 and in-flight keys, errors, revalidation. How bytes travel (undici's pool or
 * node:http for one-shot commands) is shared/transport.ts.
 */

export type * from './api-types.js';

export { ApiError, etagVersion, isOfflineCause, OfflineError, retryAfterMs } from './api-errors.js';

export interface ClientOptions {
  baseUrl: string;
  token?: string | undefined;
  channel?: Channel;
  /** connections kept to the server (bulk runs raise it to their concurrency) */
  connections?: number;
  /** retries after a 429 before giving up (each waits Retry-After, capped) */
  maxRetries?: number;
  /** longest single Retry-After wait honoured, ms */
  maxRetryWaitMs?: number;
  /** per-request headers/body timeout, ms */
  timeoutMs?: number;
  /** injected for tests */
  sleep?: (ms: number) => Promise<void>;
  /** told before each wait (a 429's Retry-After, or the same key still in flight), so a person knows */
  onWait?: (ms: number, why: 'rate_limited' | 'idempotency_in_flight') => void;
  userAgent?: string;
  /**
   * A one-shot command (one or two requests, then exit): it speaks Node's own `node:http`
   * (shared/one-shot-http.ts), which loads in a fraction of undici's time and has no
   * WebAssembly parser to compile. Long-lived users (TUI, bulk runs) leave it off and keep
   * undici's pool.
   */
  oneShot?: boolean;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined | null>;
  body?: unknown;
  idempotencyKey?: string | undefined;
  /** a version number (sent as `"<n>"`) or a raw ETag */
  ifMatch?: number | string | undefined;
  headers?: Record<string, string>;
  /** return text instead of parsing JSON (ICS) */
  text?: boolean;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
  headers: Record<string, string | string[] | undefined>;
  /** version from the ETag header, when there is one */
  version: number | undefined;
  /** `idempotent-replayed: true`: the server answered from its idempotency store */
  replayed: boolean;
  /** a GET revalidated with If-None-Match: the server answered 304 and this is the copy kept */
  notModified?: boolean;
}

export class ApiClient {
  readonly baseUrl: string;
  readonly origin: string;
  readonly prefix: string;
  token: string | undefined;
  channel: Channel;
  private readonly transport: Transport;
  private readonly kept = new KeptAnswers();
  private readonly opts: ClientOptions;

  constructor(opts: ClientOptions) {
    let u: URL;
    try {
      u = new URL(opts.baseUrl);
    } catch {
      throw new TypeError(`not a server URL: ${opts.baseUrl}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new TypeError(`not an http(s) server URL: ${opts.baseUrl}`);
    this.opts = opts;
    this.origin = u.origin;
    this.prefix = u.pathname.replace(/\/+$/, '');
    this.baseUrl = this.origin + this.prefix;
    this.token = opts.token;
    this.channel = opts.channel ?? 'cli';
    this.transport = new Transport(this.origin, opts);
  }

  /** Closes kept-alive connections so the process can exit. */
  async close(): Promise<void> {
    await this.transport.close();
  }

  async request<T>(
    method: Dispatcher.HttpMethod,
    path: string,
    o: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const qs = o.query
      ? Object.entries(o.query)
          .filter(([, v]) => v !== undefined && v !== null && v !== '')
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
          .join('&')
      : '';
    const fullPath = this.prefix + path + (qs ? `?${qs}` : '');
    const headers: Record<string, string> = {
      accept: o.text ? 'text/calendar, application/problem+json' : 'application/json',
      'appt-channel': this.channel,
      'user-agent': this.opts.userAgent ?? 'appt-cli',
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      ...(o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {}),
      ...(o.ifMatch !== undefined
        ? { 'if-match': typeof o.ifMatch === 'number' ? `"${o.ifMatch}"` : o.ifMatch }
        : {}),
      ...o.headers,
    };
    let body: string | undefined;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    // a GET of a URL answered before with an ETag revalidates: unchanged data costs a 304
    // (the key holds the token: another identity never sees this one's copy)
    const validateKey =
      method === 'GET' && o.headers?.['if-none-match'] === undefined
        ? `${this.token ?? ''} ${headers.accept} ${fullPath}`
        : undefined;
    const kept = validateKey ? this.kept.get(validateKey) : undefined;
    if (kept) headers['if-none-match'] = kept.etag;
    const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const maxRetries = this.opts.maxRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      let res: RawResponse;
      try {
        res = await this.transport.send(method, fullPath, headers, body);
      } catch (e) {
        if (isOfflineCause(e)) throw new OfflineError(this.baseUrl, e);
        throw e;
      }
      const notModified = res.statusCode === 304 && kept !== undefined;
      if (notModified)
        res = { statusCode: 200, headers: { ...kept.headers, ...res.headers }, text: kept.text };
      if (validateKey) this.kept.keep(validateKey, res);
      const text = res.text;
      const ctype = String(res.headers['content-type'] ?? '');
      let data: unknown = text;
      if (ctype.includes('json') && text) {
        try {
          data = JSON.parse(text);
        } catch {
          data = text;
        }
      } else if (!text) data = undefined;
      if (res.statusCode === 429 && attempt < maxRetries) {
        const wait = Math.min(
          retryAfterMs(res.headers['retry-after']) ?? 1000 * 2 ** attempt,
          this.opts.maxRetryWaitMs ?? 10_000,
        );
        this.opts.onWait?.(wait, 'rate_limited');
        await sleep(wait);
        continue;
      }
      // the same key still running (a crashed run's request, say): the same request is safe to resend
      const inFlight =
        res.statusCode === 409 &&
        o.idempotencyKey &&
        (data as { code?: string } | undefined)?.code === 'idempotency_in_flight';
      if (inFlight && attempt < maxRetries) {
        const wait = Math.min(
          retryAfterMs(res.headers['retry-after']) ?? 250 * 2 ** attempt,
          this.opts.maxRetryWaitMs ?? 10_000,
        );
        this.opts.onWait?.(wait, 'idempotency_in_flight');
        await sleep(wait);
        continue;
      }
      if (res.statusCode >= 400) throw new ApiError(res.statusCode, data);
      return {
        status: res.statusCode,
        data: data as T,
        headers: res.headers,
        version: etagVersion(res.headers.etag),
        replayed: String(res.headers['idempotent-replayed'] ?? '') === 'true',
        ...(notModified ? { notModified } : {}),
      };
    }
  }

  private async get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return (await this.request<T>('GET', path, query ? { query } : {})).data;
  }

  // ---- reads ----
  me = () => this.get<Me>('/me');
  providers = () => this.get<{ items: Provider[] }>('/providers');
  services = (providerId: string) => this.get<{ items: Service[] }>(`/providers/${enc(providerId)}/services`);
  userAppointments = (
    userId: string,
    q: { filter?: 'upcoming' | 'history'; limit?: number; cursor?: string | undefined } = {},
  ) => this.get<AppointmentPage>(`/users/${enc(userId)}/appointments`, q);
  searchAppointments = (q: {
    providerId?: string | undefined;
    userId?: string | undefined;
    date?: string | undefined;
    tz?: string | undefined;
    days?: number | undefined;
    status?: string | undefined;
    q?: string | undefined;
    limit?: number | undefined;
    cursor?: string | undefined;
  }) => this.get<AppointmentPage>('/appointments', q);
  appointment = (id: string) => this.request<AppointmentDetail>('GET', `/appointments/${enc(id)}`);
  audit = (id: string) => this.get<{ items: AuditEntry[] }>(`/appointments/${enc(id)}/audit`);
  cancellationQuote = (id: string) =>
    this.get<CancellationQuote>(`/appointments/${enc(id)}/cancellation-quote`);
  alternatives = (id: string, kind: 'tomorrow' | 'next' | 'date', date?: string, limit?: number) =>
    this.get<Alternatives>(`/appointments/${enc(id)}/alternatives`, { kind, date, limit });
  ics = async (id: string) =>
    (await this.request<string>('GET', `/appointments/${enc(id)}/ics`, { text: true })).data;
  /** the provider's subscribable feed; it takes the provider's feed token, not an API token */
  providerCalendar = async (providerId: string, feedToken: string) =>
    (
      await this.request<string>('GET', `/providers/${enc(providerId)}/calendar.ics`, {
        text: true,
        query: { token: feedToken },
      })
    ).data;
  availability = (providerId: string, serviceId: string, date: string) =>
    this.get<Availability>(`/providers/${enc(providerId)}/availability`, { serviceId, date });

  // ---- writes ----
  hold = async (
    body: {
      providerId: string;
      serviceId: string;
      timeslotId: string;
      userId?: string;
      appointmentId?: string;
    },
    idempotencyKey?: string,
  ) => (await this.request<Reservation>('POST', '/reservations', { body, idempotencyKey })).data;
  release = async (token: string) => {
    await this.request<void>('DELETE', `/reservations/${enc(token)}`);
  };
  book = (body: { reservationToken: string; userId: string }, idempotencyKey: string) =>
    this.request<Appointment>('POST', '/bookings', { body, idempotencyKey });
  reschedule = (
    id: string,
    body: { reservationToken: string; reason?: string | undefined },
    o: { idempotencyKey: string; ifMatch?: number | undefined },
  ) =>
    this.request<Appointment>('POST', `/appointments/${enc(id)}/reschedule`, {
      body: stripUndefined(body),
      idempotencyKey: o.idempotencyKey,
      ifMatch: o.ifMatch,
    });
  cancel = (
    id: string,
    body: { reason?: string | undefined; waiveFee?: boolean | undefined },
    o: { idempotencyKey: string; ifMatch?: number | undefined },
  ) =>
    this.request<CancelResult>('POST', `/appointments/${enc(id)}/cancel`, {
      body: stripUndefined(body),
      idempotencyKey: o.idempotencyKey,
      ifMatch: o.ifMatch,
    });
  action = (
    id: string,
    action: 'confirm' | 'complete' | 'no-show',
    idempotencyKey?: string,
    body: { reason?: string | undefined } = {},
  ) =>
    this.request<Appointment>('POST', `/appointments/${enc(id)}/${action}`, {
      body: stripUndefined(body),
      idempotencyKey,
    });
  // ---- admin ----
  createProvider = async (b: CreateProvider) =>
    (await this.request<Provider>('POST', '/admin/providers', { body: b })).data;
  createService = async (b: CreateService) =>
    (await this.request<Service>('POST', '/admin/services', { body: b })).data;
  updateProvider = async (id: string, b: UpdateProvider) =>
    (await this.request<Provider>('PATCH', `/admin/providers/${enc(id)}`, { body: b })).data;
  removeProvider = async (id: string) =>
    (await this.request<Removed>('DELETE', `/admin/providers/${enc(id)}`)).data;
  updateService = async (id: string, b: UpdateService) =>
    (await this.request<Service>('PATCH', `/admin/services/${enc(id)}`, { body: b })).data;
  removeService = async (id: string) =>
    (await this.request<Removed>('DELETE', `/admin/services/${enc(id)}`)).data;
  removeTimeOff = async (providerId: string, id: string) =>
    (await this.request<Removed>('DELETE', `/admin/providers/${enc(providerId)}/time-off/${enc(id)}`)).data;
  setHours = async (providerId: string, b: HoursBody) =>
    (await this.request<unknown>('PUT', `/admin/providers/${enc(providerId)}/hours`, { body: b })).data;
  getHours = (providerId: string) => this.get<unknown>(`/admin/providers/${enc(providerId)}/hours`);
  addTimeOff = async (providerId: string, b: TimeOffBody) =>
    (await this.request<TimeOff>('POST', `/admin/providers/${enc(providerId)}/time-off`, { body: b })).data;
  listTimeOff = (providerId: string) =>
    this.get<{ items: TimeOff[] }>(`/admin/providers/${enc(providerId)}/time-off`);
  createUser = async (b: CreateUser) => (await this.request<User>('POST', '/admin/users', { body: b })).data;
  listUsers = (q: { q?: string | undefined; limit?: number | undefined } = {}) =>
    this.get<{ items: User[] }>('/admin/users', q);
  getUser = (id: string) => this.get<User>(`/admin/users/${enc(id)}`);
  createToken = async (b: CreateToken) =>
    (await this.request<CreatedToken>('POST', '/admin/tokens', { body: b })).data;
  listTokens = () => this.get<{ items: TokenInfo[] }>('/admin/tokens');
  revokeToken = async (id: string) =>
    (await this.request<unknown>('DELETE', `/admin/tokens/${enc(id)}`)).data;
  rotateToken = async (id: string) =>
    (await this.request<CreatedToken>('POST', `/admin/tokens/${enc(id)}/rotate`, { body: {} })).data;
  auditSearch = (q: {
    actorId?: string | undefined;
    action?: string | undefined;
    appointmentId?: string | undefined;
    since?: string | undefined;
    until?: string | undefined;
    cursor?: string | undefined;
    limit?: number | undefined;
  }) => this.get<AuditPage>('/admin/audit', q);
  auditVerify = () => this.get<AuditVerify>('/admin/audit/verify');
  check = () => this.get<CheckResult>('/admin/check');
  stats = (since?: string) => this.get<unknown>('/admin/stats', { since });
  realtimeConfig = () =>
    this.get<{ key: string; wsHost: string; wsPort: number; forceTLS: boolean; authEndpoint: string }>(
      '/realtime/config',
    );
  /** staff: set or clear the needs-attention flag (POST /appointments/{id}/attention) */
  attention = (id: string, needsAttention: boolean, reason?: string) =>
    this.request<Appointment>('POST', `/appointments/${enc(id)}/attention`, {
      body: stripUndefined({ needsAttention, reason }),
    });
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function createClient(opts: ClientOptions): ApiClient {
  return new ApiClient(opts);
}
