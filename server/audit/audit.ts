import { createHash } from 'node:crypto';
import type { AuditEntry } from '../../shared/schemas.js';
import { iso, isoOrNull } from '../../shared/time.js';
import { type Db, stmt } from '../db/open.js';
import { newId } from '../ids.js';

export type ActorType = 'user' | 'system' | 'provider' | 'staff' | 'admin';
export type Channel = 'api' | 'cli' | 'tui' | 'bulk' | 'system';

/** Who is acting, from where. Built by the HTTP layer from the token; jobs use systemActor. */
export interface Actor {
  id: string;
  type: ActorType;
  role: 'admin' | 'staff' | 'support' | 'user' | 'system';
  userId?: string;
  channel: Channel;
  /** the server's own id of the request */
  requestId?: string;
  /** the X-Request-Id the client sent, kept beside the server's */
  clientRequestId?: string;
  ip?: string;
}

export const systemActor: Actor = { id: 'system', type: 'system', role: 'system', channel: 'system' };

export interface AuditInput {
  appointmentId?: string | null;
  action: string;
  outcome: 'applied' | 'rejected';
  actor: Actor;
  idempotencyKey?: string | null;
  errorCode?: string | null;
  reason?: string | null;
  previousStart?: number | null;
  previousEnd?: number | null;
  newStart?: number | null;
  newEnd?: number | null;
  feeCents?: number | null;
  metadata?: unknown;
  timestamp: number;
}

export const GENESIS = '0'.repeat(64);
/** Entries with no appointment (tokens, catalog, rejected bookings) chain under this subject. */
export const ADMIN_SUBJECT = 'admin';

interface Row {
  seq: number;
  id: string;
  subject: string;
  appointment_id: string | null;
  action: string;
  outcome: string;
  actor_id: string;
  actor_type: string;
  channel: string;
  request_id: string | null;
  client_request_id: string | null;
  idempotency_key: string | null;
  error_code: string | null;
  reason: string | null;
  previous_start: number | null;
  previous_end: number | null;
  new_start: number | null;
  new_end: number | null;
  fee_cents: number | null;
  metadata: string | null;
  timestamp: number;
  prev_hash: string;
  hash: string;
}

/**
 * The hashed content of an entry: every field but seq and the hash itself, in a fixed order.
 * The client's request id (added later) is hashed only when present, so entries written
 * before it existed keep their hashes.
 */
function digest(prevHash: string, r: Omit<Row, 'seq' | 'hash' | 'prev_hash'>): string {
  const fields: unknown[] = [
    r.id,
    r.subject,
    r.appointment_id,
    r.action,
    r.outcome,
    r.actor_id,
    r.actor_type,
    r.channel,
    r.request_id,
    r.idempotency_key,
    r.error_code,
    r.reason,
    r.previous_start,
    r.previous_end,
    r.new_start,
    r.new_end,
    r.fee_cents,
    r.metadata,
    r.timestamp,
  ];
  if (r.client_request_id !== null && r.client_request_id !== undefined) fields.push(r.client_request_id);
  const content = JSON.stringify(fields);
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

/** Appends one entry to its subject's chain. Call inside the transaction of the change it records. */
export async function appendAudit(db: Db, input: AuditInput): Promise<{ id: string; hash: string }> {
  const subject = input.appointmentId ?? ADMIN_SUBJECT;
  // one writer per chain at a time (PostgreSQL; SQLite holds the write lock already)
  await db.lock(`audit:${subject}`);
  // the chain continues from its anchored head (count and last hash, kept in this transaction)
  const head = await stmt<{ last_hash: string }>(
    db,
    'SELECT last_hash FROM audit_heads WHERE subject = ?',
  ).get(subject);
  const prevHash = head?.last_hash ?? GENESIS;
  const row = {
    id: newId(),
    subject,
    appointment_id: input.appointmentId ?? null,
    action: input.action,
    outcome: input.outcome,
    actor_id: input.actor.id,
    actor_type: input.actor.type,
    channel: input.actor.channel,
    request_id: input.actor.requestId ?? null,
    client_request_id: input.actor.clientRequestId ?? null,
    idempotency_key: input.idempotencyKey ?? null,
    error_code: input.errorCode ?? null,
    reason: input.reason ?? null,
    previous_start: input.previousStart ?? null,
    previous_end: input.previousEnd ?? null,
    new_start: input.newStart ?? null,
    new_end: input.newEnd ?? null,
    fee_cents: input.feeCents ?? null,
    metadata: input.metadata === undefined ? null : JSON.stringify(input.metadata),
    timestamp: input.timestamp,
  };
  const hash = digest(prevHash, row);
  const inserted = await stmt<{ seq: number }>(
    db,
    `INSERT INTO audit_entries (id, subject, appointment_id, action, outcome, actor_id, actor_type, channel,
      request_id, client_request_id, idempotency_key, error_code, reason, previous_start, previous_end, new_start,
      new_end, fee_cents, metadata, timestamp, prev_hash, hash)
     VALUES (@id, @subject, @appointment_id, @action, @outcome, @actor_id, @actor_type, @channel, @request_id,
      @client_request_id, @idempotency_key, @error_code, @reason, @previous_start, @previous_end, @new_start,
      @new_end, @fee_cents, @metadata, @timestamp, @prev_hash, @hash)
     RETURNING seq`,
  ).get({ ...row, prev_hash: prevHash, hash });
  await stmt(
    db,
    `INSERT INTO audit_heads (subject, entries, last_seq, last_hash) VALUES (?, 1, ?, ?)
     ON CONFLICT (subject) DO UPDATE SET entries = audit_heads.entries + 1, last_seq = excluded.last_seq,
       last_hash = excluded.last_hash`,
  ).run(subject, inserted!.seq, hash);
  return { id: row.id, hash };
}

/** An audit row as read for people: the actor's name and role resolved at read time (names can change). */
type NamedRow = Row & { actor_name?: string | null; actor_role?: string | null };

/**
 * Reads audit rows with who acted, in words: the token's name and role for staff, admin
 * and support (actor id `token:<id>`), the customer's name for users, `system` for jobs.
 */
const NAMED_SELECT = `SELECT a.*,
  CASE WHEN a.actor_type = 'system' THEN 'system' ELSE COALESCE(t.name, u.name) END AS actor_name,
  CASE WHEN a.actor_type = 'system' THEN NULL WHEN t.id IS NOT NULL THEN t.role ELSE 'user' END AS actor_role
  FROM audit_entries a
  LEFT JOIN api_tokens t ON a.actor_id LIKE 'token:%' AND t.id = substr(a.actor_id, 7)
  LEFT JOIN users u ON u.id = a.actor_id`;

export function toAuditDto(r: NamedRow): AuditEntry {
  return {
    id: r.id,
    seq: r.seq,
    appointmentId: r.appointment_id,
    action: r.action,
    outcome: r.outcome as 'applied' | 'rejected',
    actor: { id: r.actor_id, type: r.actor_type, name: r.actor_name ?? null, role: r.actor_role ?? null },
    channel: r.channel,
    timestamp: iso(r.timestamp),
    requestId: r.request_id,
    clientRequestId: r.client_request_id ?? null,
    idempotencyKey: r.idempotency_key,
    errorCode: r.error_code,
    reason: r.reason,
    previousSlot:
      r.previous_start !== null && r.previous_end !== null
        ? { start: iso(r.previous_start), end: iso(r.previous_end) }
        : null,
    newSlot:
      r.new_start !== null && r.new_end !== null ? { start: iso(r.new_start), end: iso(r.new_end) } : null,
    feeCents: r.fee_cents,
    ...(r.metadata ? { metadata: JSON.parse(r.metadata) } : {}),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export async function auditForAppointment(db: Db, appointmentId: string): Promise<AuditEntry[]> {
  return (
    await stmt<NamedRow>(db, `${NAMED_SELECT} WHERE a.subject = ? ORDER BY a.seq`).all(appointmentId)
  ).map(toAuditDto);
}

export interface AuditQuery {
  actorId?: string;
  action?: string;
  appointmentId?: string;
  since?: number;
  until?: number;
  cursor?: number;
  limit: number;
}

/** Newest first; the cursor is the last seq seen. */
export async function searchAudit(
  db: Db,
  q: AuditQuery,
): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.actorId) where.push('a.actor_id = ?') && args.push(q.actorId);
  if (q.action) where.push('a.action = ?') && args.push(q.action);
  if (q.appointmentId) where.push('a.subject = ?') && args.push(q.appointmentId);
  if (q.since !== undefined) where.push('a.timestamp >= ?') && args.push(q.since);
  if (q.until !== undefined) where.push('a.timestamp < ?') && args.push(q.until);
  if (q.cursor !== undefined) where.push('a.seq < ?') && args.push(q.cursor);
  const sql = `${NAMED_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.seq DESC LIMIT ?`;
  const rows = await stmt<NamedRow>(db, sql).all(...args, q.limit + 1);
  const more = rows.length > q.limit;
  const items = rows.slice(0, q.limit).map(toAuditDto);
  return { items, nextCursor: more ? String(items[items.length - 1].seq) : null };
}

export interface VerifyResult {
  ok: boolean;
  /** entries walked */
  entries: number;
  /** chains (subjects) walked */
  chains: number;
  /** the first entry that does not verify (edited, or its predecessor removed) */
  firstBadId?: string;
  /** the chain with the problem */
  subject?: string;
  problem?: 'hash' | 'link' | 'truncated' | 'unanchored';
  /** the problem in words */
  detail?: string;
}

interface Head {
  subject: string;
  entries: number;
  last_seq: number;
  last_hash: string;
}

/**
 * Walks every chain (or one subject's) in seq order and recomputes each hash, then holds
 * each chain against its anchored head. An edited entry breaks its own hash, a removed or
 * reordered one breaks the link of the entry after it, and a removed tail (the newest
 * entries) leaves the chain shorter than its head, or ending on another hash.
 *
 * It runs while the server writes, without a snapshot: the heads are read first, so every
 * head read names entries committed before the entries are read (a head and its entry
 * commit together) — a chain may have grown since, never shrunk. A chain with no head then
 * is looked up again afterwards: it may simply be new.
 */
export async function verifyAudit(db: Db, subject?: string): Promise<VerifyResult> {
  const readHeads = async () =>
    new Map(
      (subject
        ? await stmt<Head>(db, 'SELECT * FROM audit_heads WHERE subject = ?').all(subject)
        : await stmt<Head>(db, 'SELECT * FROM audit_heads').all()
      ).map((h) => [h.subject, h]),
    );
  const heads = await readHeads();
  const rows = subject
    ? await stmt<Row>(db, 'SELECT * FROM audit_entries WHERE subject = ? ORDER BY seq').all(subject)
    : await stmt<Row>(db, 'SELECT * FROM audit_entries ORDER BY subject, seq').all();
  const chains = new Map<string, { hash: string; count: number; lastId: string; hashes: string[] }>();
  let entries = 0;
  const bad = (r: VerifyResult) => ({ ...r, chains: chains.size });
  for (const r of rows) {
    entries++;
    const c = chains.get(r.subject);
    const prev = c?.hash ?? GENESIS;
    const { seq: _s, hash, prev_hash, ...content } = r;
    if (prev_hash !== prev)
      return bad({
        ok: false,
        entries,
        chains: 0,
        firstBadId: r.id,
        subject: r.subject,
        problem: 'link',
        detail: `entry ${r.id} of ${r.subject} does not follow the entry before it (one was removed or reordered)`,
      });
    if (digest(prev, content) !== hash)
      return bad({
        ok: false,
        entries,
        chains: 0,
        firstBadId: r.id,
        subject: r.subject,
        problem: 'hash',
        detail: `entry ${r.id} of ${r.subject} was changed after it was written`,
      });
    if (c) {
      c.hash = hash;
      c.count++;
      c.lastId = r.id;
      c.hashes.push(hash);
    } else chains.set(r.subject, { hash, count: 1, lastId: r.id, hashes: [hash] });
  }
  for (const [s, h] of heads) {
    const c = chains.get(s);
    if (!c || c.count < h.entries)
      return bad({
        ok: false,
        entries,
        chains: 0,
        subject: s,
        problem: 'truncated',
        detail: c
          ? `chain ${s} ends after ${c.count} entries (at ${c.lastId}) but its head records ${h.entries}: the newest ${h.entries - c.count} were removed`
          : `chain ${s} has no entries but its head records ${h.entries}: all were removed`,
      });
    if (c.hashes[h.entries - 1] !== h.last_hash)
      return bad({
        ok: false,
        entries,
        chains: 0,
        subject: s,
        problem: 'unanchored',
        detail: `entry ${h.entries} of chain ${s} is not the one its head records (the chain was rewritten)`,
      });
  }
  const headless = [...chains.keys()].filter((s) => !heads.has(s));
  if (headless.length) {
    const later = await readHeads();
    const s = headless.find((x) => !later.has(x));
    if (s)
      return bad({
        ok: false,
        entries,
        chains: 0,
        subject: s,
        problem: 'unanchored',
        detail: `chain ${s} has ${chains.get(s)!.count} entries but no anchored head`,
      });
  }
  return { ok: true, entries, chains: chains.size };
}

export { isoOrNull };
