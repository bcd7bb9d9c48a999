import { readlinkSync } from 'node:fs';
import { parseSince } from '../shared/since.js';
import { CliError, EXIT } from './exit-codes.js';

/**
 * The terminal's zone: TZ if set, else the system zone from the /etc/localtime link, else
 * what Intl detects (initialising Intl's zone data costs ~15 ms of cold start, so last).
 */
export function terminalZone(env: NodeJS.ProcessEnv): string {
  if (env.TZ) return env.TZ.replace(/^:/, '');
  try {
    const m = /zoneinfo\/(.+)$/.exec(readlinkSync('/etc/localtime'));
    if (m?.[1]) return m[1];
  } catch {
    // not a link (or not Linux): ask Intl
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Validates a --date flag: today | tomorrow | YYYY-MM-DD (a real calendar day). */
export function checkDay(input: string, flag = '--date'): string {
  if (input === 'today' || input === 'tomorrow') return input;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input);
  if (m) {
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    if (d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3])
      return input;
  }
  throw new CliError(
    `${flag} must be today, tomorrow or YYYY-MM-DD (got ${JSON.stringify(input)})`,
    EXIT.usage,
  );
}

/** today/tomorrow/YYYY-MM-DD → YYYY-MM-DD in `zone` at `now`. */
export function dayIn(input: string, zone: string, now = Date.now()): string {
  checkDay(input);
  if (input !== 'today' && input !== 'tomorrow') return input;
  const fmt = (ms: number) =>
    new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(ms);
  const today = fmt(now);
  if (input === 'today') return today;
  const [y, mo, d] = today.split('-').map(Number);
  return new Date(Date.UTC(y, mo - 1, d + 1)).toISOString().slice(0, 10);
}

export function positiveInt(v: string, flag: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max)
    throw new CliError(
      `${flag} must be a whole number from 1 to ${max} (got ${JSON.stringify(v)})`,
      EXIT.usage,
    );
  return Number(v);
}

/**
 * `--since` / `--until` everywhere: a span back from now (`90m`, `24h`, `7d`, `2w`) or an
 * ISO 8601 day or time. Returns the instant as ISO (UTC).
 */
export function sinceArg(v: string | undefined, flag: string, now = Date.now()): string | undefined {
  if (v === undefined) return undefined;
  // the server's own reading (shared/stats.ts), so a form the CLI accepts is one the server does
  const t = parseSince(v, now, { future: flag === '--until' });
  if (t !== null) return new Date(t).toISOString();
  throw new CliError(
    `${flag}: expected a span like 7d, 24h, 90m or an ISO 8601 time${flag === '--until' ? '' : ' (not in the future)'}, got ${JSON.stringify(v)}`,
    EXIT.usage,
  );
}
