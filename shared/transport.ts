import { createRequire } from 'node:module';
import type { Dispatcher, Pool } from 'undici';
import { BoundedLru } from './lru.js';
import { OneShotHttp } from './one-shot-http.js';

/** An HTTP answer as the client reads it: status, headers, the whole body as text. */
export interface RawResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

type RequestFn = (this: Dispatcher, opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

export interface TransportOptions {
  /** one or two requests, then exit: node:http (see OneShotHttp) instead of undici's pool */
  oneShot?: boolean | undefined;
  connections?: number | undefined;
  timeoutMs?: number | undefined;
}

/**
 * How ApiClient's requests reach the server. Long-lived users (the TUI, bulk runs) get
 * undici's pool; the undici entry point loads every interceptor, mock and fetch module
 * (~+65 ms), so the pool and `request` are taken from their own files (~+20 ms). One-shot
 * commands get node:http. Both are created on the first request — cold start is benchmarked.
 */
export class Transport {
  private pool: Pool | undefined;
  private requestFn: RequestFn | undefined;
  private oneShotHttp: OneShotHttp | undefined;

  constructor(
    private readonly origin: string,
    private readonly o: TransportOptions,
  ) {}

  async send(
    method: Dispatcher.HttpMethod,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<RawResponse> {
    if (this.o.oneShot) {
      this.oneShotHttp ??= new OneShotHttp(this.origin, this.o.timeoutMs ?? 30_000);
      return await this.oneShotHttp.send(method, path, headers, body);
    }
    const { pool, request } = this.dispatcher();
    const res = await request.call(pool, { method, path, headers, body });
    return { statusCode: res.statusCode, headers: res.headers, text: await res.body.text() };
  }

  private dispatcher(): { pool: Pool; request: RequestFn } {
    if (!this.pool || !this.requestFn) {
      const req = createRequire(import.meta.url);
      const PoolCtor = req('undici/lib/dispatcher/pool.js') as typeof Pool;
      this.requestFn = req('undici/lib/api/api-request.js') as RequestFn;
      const timeout = this.o.timeoutMs ?? 30_000;
      this.pool = new PoolCtor(this.origin, {
        connections: this.o.connections ?? 4,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        connectTimeout: Math.min(timeout, 5_000),
        keepAliveTimeout: 10_000,
      });
    }
    return { pool: this.pool, request: this.requestFn };
  }

  /** Closes kept-alive connections so the process can exit. */
  async close(): Promise<void> {
    const p = this.pool;
    this.pool = undefined;
    this.oneShotHttp?.close();
    this.oneShotHttp = undefined;
    if (p) await p.close().catch(() => undefined);
  }
}

/** URLs whose last answer is kept for revalidation, per client (the TUI polls a handful) */
const KEPT_MAX = 200;

/**
 * GET answers kept by their ETag, so the next GET of the same URL can send If-None-Match and
 * take a 304. Keyed by the caller (token, accept header, URL): another identity never sees
 * this one's copy.
 */
export class KeptAnswers {
  private readonly kept = new BoundedLru<RawResponse & { etag: string }>(KEPT_MAX, () => 1);

  get(key: string): (RawResponse & { etag: string }) | undefined {
    return this.kept.get(key);
  }

  /** Keeps a 200 answer that has an ETag; forgets the key for anything else. */
  keep(key: string, res: RawResponse): void {
    const etag = res.headers.etag;
    if (res.statusCode === 200 && typeof etag === 'string') this.kept.set(key, { ...res, etag });
    else this.kept.delete(key);
  }
}
