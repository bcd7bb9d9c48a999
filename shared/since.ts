import { DAY } from './time.js';

const SPAN = /^(\d{1,6})\s*(m|min|h|d|w)$/i;
const UNIT: Record<string, number> = { m: 60_000, min: 60_000, h: 3_600_000, d: DAY, w: 7 * DAY };

/**
 * Every `since` (and `until`) in appt, server and CLI alike: `7d`, `24h`, `90m`, `2w` back
 * from now, or an ISO 8601 instant / date. Null when neither, or when it lies in the future
 * (unless `future` allows it, as an `--until` may).
 */
export function parseSince(s: string, now: number, o: { future?: boolean } = {}): number | null {
  const m = SPAN.exec(s.trim());
  if (m) return now - Number(m[1]) * (UNIT[m[2]!.toLowerCase()] as number);
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) && (o.future || t <= now) ? t : null;
}
