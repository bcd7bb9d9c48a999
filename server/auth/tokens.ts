import { createHash } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { Role } from '../../shared/schemas.js';
import { iso, isoOrNull } from '../../shared/time.js';
import { type Actor, type ActorType, appendAudit, type Channel } from '../audit/audit.js';
import { type Db, stmt } from '../db/open.js';
import { newId, randomToken } from '../ids.js';
import type { WriteScope } from '../outbox/write.js';

/** Tokens are stored as SHA-256 only; the clear token is shown once at creation. */
export const hashToken = (t: string) => createHash('sha256').update(t).digest('hex');

export interface TokenRow {
  id: string;
  name: string;
  role: Role;
  user_id: string | null;
  token_hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
  userId?: string;
}

export const toTokenInfo = (r: TokenRow) => ({
  id: r.id,
  name: r.name,
  role: r.role,
  userId: r.user_id,
  createdAt: iso(r.created_at),
  expiresAt: isoOrNull(r.expires_at),
  revokedAt: isoOrNull(r.revoked_at),
  lastUsedAt: isoOrNull(r.last_used_at),
});

export async function insertToken(
  db: Db,
  now: number,
  b: { name: string; role: Role; userId?: string | null; expiresAt?: number | null },
): Promise<{ id: string; token: string }> {
  if (b.role === 'user' && !b.userId) throw new AppError('validation', 'a user token needs userId');
  if (b.userId && !(await stmt(db, 'SELECT 1 FROM users WHERE id = ?').get(b.userId)))
    throw new AppError('validation', `user ${b.userId} not found`);
  if (b.expiresAt !== undefined && b.expiresAt !== null && b.expiresAt <= now)
    throw new AppError('validation', 'expiresAt must be in the future');
  const id = newId();
  const token = randomToken('appt_');
  await stmt(
    db,
    `INSERT INTO api_tokens (id, name, role, user_id, token_hash, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(id, b.name, b.role, b.userId ?? null, hashToken(token), now, b.expiresAt ?? null);
  return { id, token };
}

export async function createToken(
  db: Db,
  w: WriteScope,
  actor: Actor,
  b: { name: string; role: Role; userId?: string; expiresAt?: string },
) {
  const created = await insertToken(db, w.now, {
    ...b,
    expiresAt: b.expiresAt ? Date.parse(b.expiresAt) : null,
  });
  await appendAudit(db, {
    action: 'token.created',
    outcome: 'applied',
    actor,
    metadata: { tokenId: created.id, role: b.role, name: b.name },
    timestamp: w.now,
  });
  return created;
}

export async function listTokens(db: Db) {
  return (await stmt<TokenRow>(db, 'SELECT * FROM api_tokens ORDER BY created_at DESC').all()).map(
    toTokenInfo,
  );
}

export async function revokeToken(db: Db, w: WriteScope, actor: Actor, id: string): Promise<void> {
  const r = await stmt(db, 'UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(
    w.now,
    id,
  );
  if (r.changes === 0) {
    if (!(await stmt(db, 'SELECT 1 FROM api_tokens WHERE id = ?').get(id)))
      throw new AppError('not_found', `token ${id} not found`);
    return;
  }
  await appendAudit(db, {
    action: 'token.revoked',
    outcome: 'applied',
    actor,
    metadata: { tokenId: id },
    timestamp: w.now,
  });
}

export async function rotateToken(db: Db, w: WriteScope, actor: Actor, id: string) {
  const old = await stmt<TokenRow>(db, 'SELECT * FROM api_tokens WHERE id = ?').get(id);
  if (!old) throw new AppError('not_found', `token ${id} not found`);
  if (old.revoked_at !== null) throw new AppError('validation', `token ${id} is revoked`);
  const created = await insertToken(db, w.now, {
    name: old.name,
    role: old.role,
    userId: old.user_id,
    expiresAt: old.expires_at && old.expires_at > w.now ? old.expires_at : null,
  });
  await stmt(db, 'UPDATE api_tokens SET revoked_at = ? WHERE id = ?').run(w.now, id);
  await appendAudit(db, {
    action: 'token.rotated',
    outcome: 'applied',
    actor,
    metadata: { oldTokenId: id, newTokenId: created.id },
    timestamp: w.now,
  });
  return created;
}

/** Resolves a bearer token; null when unknown, revoked or expired. */
export async function authenticate(db: Db, token: string, now: number): Promise<Principal | null> {
  if (!token || token.length > 200) return null;
  // a token whose customer is gone is refused, like a revoked one
  const r = await stmt<TokenRow>(
    db,
    `SELECT t.* FROM api_tokens t WHERE t.token_hash = ?
       AND (t.user_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id))`,
  ).get(hashToken(token));
  if (!r || r.revoked_at !== null || (r.expires_at !== null && r.expires_at <= now)) return null;
  // last-used is bookkeeping: at most one write a minute per token keeps reads write-free
  if (r.last_used_at === null || r.last_used_at < now - 60_000) {
    try {
      await stmt(db, 'UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, r.id);
    } catch {
      // a busy database must not fail a read; the next request will try again
    }
  }
  return { tokenId: r.id, name: r.name, role: r.role, ...(r.user_id ? { userId: r.user_id } : {}) };
}

const ACTOR_TYPE: Record<Role, ActorType> = {
  admin: 'admin',
  staff: 'staff',
  support: 'staff',
  user: 'user',
};

export function actorOf(
  p: Principal,
  channel: Channel,
  requestId?: string,
  ip?: string,
  clientRequestId?: string,
): Actor {
  return {
    id: p.userId && p.role === 'user' ? p.userId : `token:${p.tokenId}`,
    type: ACTOR_TYPE[p.role],
    role: p.role,
    ...(p.userId ? { userId: p.userId } : {}),
    channel,
    ...(requestId ? { requestId } : {}),
    ...(clientRequestId ? { clientRequestId } : {}),
    ...(ip ? { ip } : {}),
  };
}

/** On first start with no tokens: an admin token written to <data-dir>/admin.token (0600). */
export async function ensureAdminToken(db: Db, dataDir: string, now: number): Promise<string | null> {
  const any = await stmt(db, "SELECT 1 FROM api_tokens WHERE role = 'admin' LIMIT 1").get();
  const file = join(dataDir, 'admin.token');
  if (any && existsSync(file)) return null;
  if (any) return null;
  const { token } = await insertToken(db, now, { name: 'bootstrap admin', role: 'admin' });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
