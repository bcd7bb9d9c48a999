import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';
import type { Clock } from '../context.js';
import { signatureHeader } from '../webhooks/signature.js';
import { emailFor, type Outgoing, textFor } from './render.js';
import { PermanentError } from './types.js';
import { PRIVATE_FILE, privateDir, privateFile } from '../ops/files.js';

export interface SendResult {
  providerMessageId?: string;
}
export interface Transport {
  send(n: Outgoing): Promise<SendResult>;
  close(): void;
}

/** `<id@appt>` → a safe file name. */
export function emlName(messageId: string): string {
  return `${messageId.replace(/^<|>$/g, '').replace(/[^\w.@-]/g, '_')}.eml`;
}

/**
 * nodemailer writes a message in several small segments; with Nagle's algorithm on, each
 * waits for a delayed ACK (~40 ms), which capped a sender at ~20 mails/s per connection on
 * localhost. Our own socket with TCP_NODELAY (TLS, if any, is layered on it by nodemailer).
 */
function noDelaySocket(
  o: { host?: string; port?: number; secure?: boolean },
  cb: (err: Error | null, socket?: { connection: import('node:net').Socket }) => void,
): void {
  const c = connect({ host: o.host ?? 'localhost', port: Number(o.port) || (o.secure ? 465 : 587) });
  c.setNoDelay(true);
  const t = setTimeout(() => c.destroy(new Error('SMTP connection timeout')), 10_000);
  c.once('connect', () => {
    clearTimeout(t);
    cb(null, { connection: c });
  });
  c.once('error', (err) => {
    clearTimeout(t);
    cb(err);
  });
}

/**
 * Email through nodemailer. With an SMTP URL it sends (pooled, `concurrency` connections);
 * without one it renders the message and writes `<data-dir>/mail/<message-id>.eml`
 * (temp file + rename, so a crash never leaves half a message and a resend overwrites the
 * same file).
 */
export function emailTransport(opts: {
  smtpUrl?: string;
  dataDir: string;
  from: string;
  concurrency?: number;
}): Transport {
  if (opts.smtpUrl) {
    // parsed here rather than passed as `url`: with `url` nodemailer silently ignores
    // `pool` and opens a connection per message (~150 ms each on localhost)
    const t = nodemailer.createTransport({
      ...parseConnectionUrl(opts.smtpUrl),
      pool: true,
      maxConnections: opts.concurrency ?? 4,
      maxMessages: Number.POSITIVE_INFINITY,
      // nodemailer waits up to 10 minutes by default; a send must end well inside the claim lease
      connectionTimeout: 10_000,
      getSocket: noDelaySocket,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    } as unknown as Parameters<typeof nodemailer.createTransport>[0]);
    return {
      async send(n) {
        try {
          const info = await t.sendMail(emailFor(n, opts.from));
          return { providerMessageId: info.messageId };
        } catch (err) {
          const code = (err as { responseCode?: number }).responseCode;
          // 5xx SMTP replies are permanent refusals (bad mailbox …); 4xx and network errors retry
          if (code && code >= 500 && code < 600)
            throw new PermanentError(`SMTP ${code}: ${(err as Error).message}`);
          throw err;
        }
      },
      close: () => t.close(),
    };
  }
  const dir = join(opts.dataDir, 'mail');
  const t = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(n) {
      const info = (await t.sendMail(emailFor(n, opts.from))) as unknown as {
        message: Buffer;
        messageId: string;
      };
      mkdirSync(dir, { recursive: true });
      privateDir(dir);
      const file = join(dir, emlName(n.messageId));
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, info.message, { mode: PRIVATE_FILE });
      privateFile(tmp);
      renameSync(tmp, file);
      return { providerMessageId: info.messageId };
    },
    close: () => t.close(),
  };
}

/**
 * SMS and push through an HTTP webhook: POST JSON signed like every appt webhook
 * (`Appt-Signature: t=…,v1=HMAC(secret, "<t>.<body>")`). 2xx = sent (a JSON `id` in the
 * answer becomes the provider message id); 5xx, 429, timeouts and network errors retry;
 * other 4xx are permanent.
 */
export function webhookTransport(opts: {
  url: string;
  secret: string;
  clock: Clock;
  timeoutMs?: number;
}): Transport {
  return {
    async send(n) {
      const body = JSON.stringify({
        messageId: n.messageId,
        channel: n.channel,
        to: n.recipient,
        template: n.template,
        appointmentId: n.payload.appointment.id,
        text: textFor(n.payload),
      });
      let res: Response;
      try {
        res = await fetch(opts.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'appt-signature': signatureHeader(opts.secret, body, opts.clock.now()),
            'idempotency-key': n.messageId,
          },
          body,
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        });
      } catch (err) {
        const e = err as Error;
        throw new Error(
          e.name === 'TimeoutError'
            ? `timeout after ${opts.timeoutMs ?? 10_000} ms`
            : `network: ${e.message}`,
        );
      }
      const text = await res.text().catch(() => '');
      if (res.status >= 200 && res.status < 300) {
        let id: string | undefined;
        try {
          const j = JSON.parse(text) as { id?: unknown };
          if (typeof j.id === 'string') id = j.id;
        } catch {
          // a gateway may answer with no body; the message id is then ours
        }
        return { providerMessageId: id };
      }
      const msg = `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
      if (res.status >= 500 || res.status === 429 || res.status === 408) throw new Error(msg);
      throw new PermanentError(msg);
    },
    close() {},
  };
}
