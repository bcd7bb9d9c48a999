import type { Agent, IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';

/**
 * HTTP for one-shot commands (`appt list --json`: one or two requests, then exit) on Node's
 * own client. Loading undici's pool and request modules costs ~25 ms of a ~140 ms command
 * and its WebAssembly parser more; `node:http` is part of Node and loads in ~3 ms.
 * Long-lived users (TUI, bulk runs) keep undici's pool. One kept-alive connection, so a
 * second request reuses the first one's socket.
 */
export interface OneShotResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export class OneShotHttp {
  private agent: Agent | undefined;
  private readonly mod: typeof import('node:http');

  constructor(
    private readonly origin: string,
    private readonly timeoutMs: number,
  ) {
    const req = createRequire(import.meta.url);
    this.mod = req(origin.startsWith('https:') ? 'node:https' : 'node:http') as typeof import('node:http');
  }

  send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<OneShotResponse> {
    this.agent ??= new this.mod.Agent({ keepAlive: true, maxSockets: 1 });
    const agent = this.agent;
    return new Promise((resolve, reject) => {
      const req = this.mod.request(
        new URL(path, this.origin),
        {
          method,
          agent,
          headers:
            body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              statusCode: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}
