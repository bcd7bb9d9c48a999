import { type Db, stmt } from '../db/port.js';

/**
 * CalDAV credentials are write-only: stored in `provider_credentials`, apart from the
 * provider row, never part of any response or log line. Only the calendar sync reads them.
 */
export interface CaldavCredentials {
  username: string | null;
  password: string | null;
  /** a bearer token, for servers that take one instead of Basic auth */
  token: string | null;
}

export interface CredentialInput {
  caldavUsername?: string | null | undefined;
  caldavPassword?: string | null | undefined;
  caldavToken?: string | null | undefined;
}

/**
 * Splits `https://user:pass@host/cal/` into the bare URL and its userinfo. Older clients
 * sent credentials inside the URL; they are moved to the credential fields, never kept.
 */
export function splitUrlCredentials(raw: string): { url: string; username?: string; password?: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { url: raw };
  }
  if (!u.username && !u.password) return { url: raw };
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.username = '';
  u.password = '';
  return { url: u.toString(), ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

export async function caldavCredentials(db: Db, providerId: string): Promise<CaldavCredentials | null> {
  const r = await stmt<{
    caldav_username: string | null;
    caldav_password: string | null;
    caldav_token: string | null;
  }>(
    db,
    'SELECT caldav_username, caldav_password, caldav_token FROM provider_credentials WHERE provider_id = ?',
  ).get(providerId);
  return r ? { username: r.caldav_username, password: r.caldav_password, token: r.caldav_token } : null;
}

/** Applies the write-only fields that were sent (undefined = unchanged, null = cleared). */
export async function saveCaldavCredentials(
  db: Db,
  providerId: string,
  c: CredentialInput,
  now: number,
): Promise<void> {
  if (c.caldavUsername === undefined && c.caldavPassword === undefined && c.caldavToken === undefined) return;
  const cur = (await caldavCredentials(db, providerId)) ?? { username: null, password: null, token: null };
  const next = {
    username: c.caldavUsername === undefined ? cur.username : c.caldavUsername,
    password: c.caldavPassword === undefined ? cur.password : c.caldavPassword,
    token: c.caldavToken === undefined ? cur.token : c.caldavToken,
  };
  await stmt(
    db,
    `INSERT INTO provider_credentials (provider_id, caldav_username, caldav_password, caldav_token, updated_at)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (provider_id) DO UPDATE SET caldav_username = excluded.caldav_username,
       caldav_password = excluded.caldav_password, caldav_token = excluded.caldav_token,
       updated_at = excluded.updated_at`,
  ).run(providerId, next.username, next.password, next.token, now);
}

/** HTTP headers for a CalDAV request: a bearer token wins over Basic credentials. */
export function caldavAuthHeaders(c: CaldavCredentials | null): Record<string, string> {
  if (!c) return {};
  if (c.token) return { authorization: `Bearer ${c.token}` };
  if (c.username || c.password)
    return {
      authorization: `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`,
    };
  return {};
}

/**
 * Once, after migrations: providers stored before credentials had their own fields kept
 * them inside `caldav_url`, and calendar_sync rows copied that URL. Both are stripped
 * here and the userinfo moves to provider_credentials.
 */
export async function moveUrlCredentials(db: Db, now: number): Promise<number> {
  const rows = await stmt<{ id: string; caldav_url: string }>(
    db,
    "SELECT id, caldav_url FROM providers WHERE caldav_url LIKE '%@%'",
  ).all();
  let moved = 0;
  for (const r of rows) {
    const s = splitUrlCredentials(r.caldav_url);
    if (s.url === r.caldav_url) continue;
    await db.transaction(async (tx) => {
      await stmt(tx, 'UPDATE providers SET caldav_url = ? WHERE id = ?').run(s.url, r.id);
      await saveCaldavCredentials(
        tx,
        r.id,
        { caldavUsername: s.username ?? null, caldavPassword: s.password ?? null },
        now,
      );
      // rows already pointing at the bare URL keep theirs (unique per appointment and target)
      await stmt(
        tx,
        `UPDATE calendar_sync SET target = ? WHERE target = ? AND NOT EXISTS
           (SELECT 1 FROM calendar_sync c2 WHERE c2.appointment_id = calendar_sync.appointment_id AND c2.target = ?)`,
      ).run(s.url, r.caldav_url, s.url);
    });
    moved++;
  }
  return moved;
}
