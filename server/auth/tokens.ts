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

export function insertToken(
  db: Db,
  now: number,
  b: { name: string; role: Role; userId?: string | null; expiresAt?: number | null },
): { id: string; token: string } {
  if (b.role === 'user' && !b.userId) throw new AppError('validation', 'a user token needs userId');
  if (b.userId && !stmt(db, 'SELECT 1 FROM users WHERE id = ?').get(b.userId))
    throw new AppError('validation', `user ${b.userId} not found`);
  if (b.expiresAt !== undefined && b.expiresAt !== null && b.expiresAt <= now)
    throw new AppError('validation', 'expiresAt must be in the future');
  const id = newId();
  const token = randomToken('appt_');
  stmt(
    db,
    `INSERT INTO api_tokens (id, name, role, user_id, token_hash, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(id, b.name, b.role, b.userId ?? null, hashToken(token), now, b.expiresAt ?? null);
  return { id, token };
}

export function createToken(
  db: Db,
  w: WriteScope,
  actor: Actor,
  b: { name: string; role: Role; userId?: string; expiresAt?: string },
) {
  const created = insertToken(db, w.now, { ...b, expiresAt: b.expiresAt ? Date.parse(b.expiresAt) : null });
  appendAudit(db, {
    action: 'token.created',
    outcome: 'applied',
    actor,
    metadata: { tokenId: created.id, role: b.role, name: b.name },
    timestamp: w.now,
  });
  return created;
}

export function listTokens(db: Db) {
  return stmt<TokenRow>(db, 'SELECT * FROM api_tokens ORDER BY created_at DESC').all().map(toTokenInfo);
}

export function revokeToken(db: Db, w: WriteScope, actor: Actor, id: string): void {
  const r = stmt(db, 'UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(
    w.now,
    id,
  );
  if (r.changes === 0) {
    if (!stmt(db, 'SELECT 1 FROM api_tokens WHERE id = ?').get(id))
      throw new AppError('not_found', `token ${id} not found`);
    return;
  }
  appendAudit(db, {
    action: 'token.revoked',
    outcome: 'applied',
    actor,
    metadata: { tokenId: id },
    timestamp: w.now,
  });
}

export function rotateToken(db: Db, w: WriteScope, actor: Actor, id: string) {
  const old = stmt<TokenRow>(db, 'SELECT * FROM api_tokens WHERE id = ?').get(id);
  if (!old) throw new AppError('not_found', `token ${id} not found`);
  if (old.revoked_at !== null) throw new AppError('validation', `token ${id} is revoked`);
  const created = insertToken(db, w.now, {
    name: old.name,
    role: old.role,
    userId: old.user_id,
    expiresAt: old.expires_at && old.expires_at > w.now ? old.expires_at : null,
  });
  stmt(db, 'UPDATE api_tokens SET revoked_at = ? WHERE id = ?').run(w.now, id);
  appendAudit(db, {
    action: 'token.rotated',
    outcome: 'applied',
    actor,
    metadata: { oldTokenId: id, newTokenId: created.id },
    timestamp: w.now,
  });
  return created;
}

/** Resolves a bearer token; null when unknown, revoked or expired. */
export function authenticate(db: Db, token: string, now: number): Principal | null {
  if (!token || token.length > 200) return null;
  const r = stmt<TokenRow>(db, 'SELECT * FROM api_tokens WHERE token_hash = ?').get(hashToken(token));
  if (!r || r.revoked_at !== null || (r.expires_at !== null && r.expires_at <= now)) return null;
  // last-used is bookkeeping: at most one write a minute per token keeps reads write-free
  if (r.last_used_at === null || r.last_used_at < now - 60_000) {
    try {
      stmt(db, 'UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, r.id);
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

export function actorOf(p: Principal, channel: Channel, requestId?: string, ip?: string): Actor {
  return {
    id: p.userId && p.role === 'user' ? p.userId : `token:${p.tokenId}`,
    type: ACTOR_TYPE[p.role],
    role: p.role,
    ...(p.userId ? { userId: p.userId } : {}),
    channel,
    ...(requestId ? { requestId } : {}),
    ...(ip ? { ip } : {}),
  };
}

/** On first start with no tokens: an admin token written to <data-dir>/admin.token (0600). */
export function ensureAdminToken(db: Db, dataDir: string, now: number): string | null {
  const any = stmt(db, "SELECT 1 FROM api_tokens WHERE role = 'admin' LIMIT 1").get();
  const file = join(dataDir, 'admin.token');
  if (any && existsSync(file)) return null;
  if (any) return null;
  const { token } = insertToken(db, now, { name: 'bootstrap admin', role: 'admin' });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
