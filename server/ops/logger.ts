import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * What never reaches a log line: bearer tokens (request headers and any `token` field),
 * reservation tokens (they are capabilities to book), webhook and Pusher secrets, and
 * customer contact details. pino's paths match one level per `*`, so the common depths
 * are listed.
 */
const SECRET_KEYS = [
  'token',
  'reservationToken',
  'secret',
  'webhookSecret',
  'pusherSecret',
  'password',
  'caldavPassword',
  'caldavToken',
  'caldavUsername',
  'email',
  'phone',
  'recipient',
];
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["appt-signature"]',
  'req.headers["x-pusher-signature"]',
  'headers.authorization',
  'headers["appt-signature"]',
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

export interface LoggerOptions {
  /** human-readable colour lines (pino-pretty) instead of JSON: for a person at a terminal */
  pretty?: boolean;
  /** where lines go (tests); default stdout */
  destination?: DestinationStream;
}

/** The server's logger: pino JSON lines on stdout, secrets redacted; pretty when asked. */
export async function makeLogger(level: string, opts: LoggerOptions = {}): Promise<Logger> {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (opts.pretty) {
    const { default: pretty } = await import('pino-pretty');
    return pino(
      options,
      pretty({
        colorize: !process.env.NO_COLOR,
        sync: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        ...(opts.destination ? { destination: opts.destination } : {}),
      }),
    );
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
