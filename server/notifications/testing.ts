import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server for tests and drivers (smtp-server, a devDependency): accepts every
 * message, keeps the raw text, optionally slows each DATA phase down so a test can catch
 * a sender mid-flight.
 */
export interface SinkMessage {
  raw: string;
  messageId: string | null;
  to: string[];
  at: number;
}

export interface SmtpSink {
  port: number;
  url: string;
  messages: SinkMessage[];
  /** holds every message's reply until resume(): senders block with their messages in flight */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startSmtpSink(
  opts: { delayMs?: number; reject?: (to: string[]) => number | null } = {},
): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  let paused = false;
  const held: (() => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    maxClients: 100,
    disableReverseLookup: true,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('error', () => {}); // the connection died mid-message: nothing was accepted
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        const code = opts.reject?.(to) ?? null;
        const finish = () => {
          if (code) {
            const err = new Error('rejected by the test sink') as Error & { responseCode: number };
            err.responseCode = code;
            return callback(err);
          }
          const raw = Buffer.concat(chunks).toString('utf8');
          messages.push({ raw, messageId: headerOf(raw, 'message-id'), to, at: Date.now() });
          callback();
        };
        const go = () => (opts.delayMs ? setTimeout(finish, opts.delayMs) : finish());
        if (paused) held.push(go);
        else go();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // A sender killed mid-message (the crash tests) resets its connection: that is the
  // scenario under test, not a sink failure — keep serving the other connections.
  server.on('error', () => {});
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      for (const go of held.splice(0)) go();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One header of a raw message (first occurrence, unfolded). */
export function headerOf(raw: string, name: string): string | null {
  const head = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head);
  return m ? m[1].trim() : null;
}

function decodeQp(s: string): string {
  const bytes = s
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** Every text/calendar part of a raw MIME message, decoded (a tiny parser: enough for nodemailer's output). */
export function calendarParts(raw: string): { method: string | null; ics: string }[] {
  const out: { method: string | null; ics: string }[] = [];
  const parts = raw.split(/\r?\n--[^\r\n]+\r?\n/);
  for (const part of parts) {
    const [head, ...rest] = part.split(/\r?\n\r?\n/);
    const h = head.replace(/\r?\n[ \t]+/g, ' ');
    const ct = /^content-type:\s*(.*)$/im.exec(h)?.[1] ?? '';
    if (!/text\/calendar/i.test(ct)) continue;
    const enc = (/^content-transfer-encoding:\s*(.*)$/im.exec(h)?.[1] ?? '7bit').trim().toLowerCase();
    let body = rest.join('\n\n').replace(/\r?\n--[^\r\n]*--\s*$/, '');
    if (enc === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    else if (enc === 'quoted-printable') body = decodeQp(body);
    out.push({ method: /method=("?)([A-Z]+)\1/i.exec(ct)?.[2] ?? null, ics: body });
  }
  return out;
}
