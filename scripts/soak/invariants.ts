import { join } from 'node:path';
import { type Db, openDb, openPg } from '../../server/db/open.js';
import { api, sleep } from '../bench/common.js';
import type { Ack, Ledger } from './ledger.js';
import type { Supervised } from './server.js';

/**
 * The invariant checker of the soak: the server's own (GET /admin/check, GET
 * /admin/audit/verify) plus independent SQL over the database file, and the client-side
 * ledger of acknowledged changes.
 */

const AUDIT_ACTION: Record<Ack['kind'], string> = {
  book: 'created',
  reschedule: 'rescheduled',
  cancel: 'cancelled',
};

interface ApptRow {
  id: string;
  status: string;
  version: number;
  start_at: number;
  end_at: number;
}
interface AuditRow {
  subject: string;
  action: string;
  idempotency_key: string;
  new_start: number | null;
}

async function adminGet(server: Supervised, path: string): Promise<any> {
  let last = '';
  for (let i = 0; i < 10; i++) {
    try {
      const r = await api(server.url, server.adminToken, 'GET', path, undefined, {}, 60_000);
      if (r.status === 200) return r.json;
      last = `${r.status} ${r.text.slice(0, 200)}`;
    } catch (err) {
      last = String(err);
    }
    await sleep(500);
  }
  throw new Error(`GET ${path} failed: ${last}`);
}

/** Where the server under test keeps its data: the SQLite file of its data directory, or PostgreSQL. */
export interface DbTarget {
  dataDir: string;
  databaseUrl?: string;
}

/** The database read-only for SQLite (the server owns the file); PostgreSQL as it is, never migrated here. */
async function openTarget(t: DbTarget): Promise<Db> {
  return t.databaseUrl
    ? await openPg(t.databaseUrl, { migrate: false, max: 2 })
    : await openDb(join(t.dataDir, 'appt.db'), { readonly: true });
}

/** Runs every check; violations go to the ledger, tagged with `phase`. Returns how many were found. */
export async function checkAll(
  server: Supervised,
  target: DbTarget,
  ledger: Ledger,
  phase: string,
): Promise<number> {
  const before = ledger.violations.length;
  const v = (kind: string, detail: string) => ledger.violation(kind, `${phase}: ${detail}`);
  ledger.checks++;
  const acks = ledger.acks.slice(); // everything acknowledged so far is committed

  const check = await adminGet(server, '/admin/check');
  for (const p of check.problems ?? []) v(`server check ${p.kind}`, p.detail);
  const verify = await adminGet(server, '/admin/audit/verify');
  if (!verify.ok)
    v('audit_chain', `GET /admin/audit/verify: ${verify.detail ?? `first bad entry ${verify.firstBadId}`}`);

  const db = await openTarget(target);
  try {
    // no two active appointments of one provider overlap (buffers included)
    const overlaps = await db.all<{ a: string; b: string }>(
      `SELECT x.id AS a, y.id AS b FROM appointments x JOIN appointments y
         ON y.provider_id = x.provider_id AND y.id > x.id AND y.block_start < x.block_end AND x.block_start < y.block_end
       WHERE x.status IN ('upcoming','confirmed','rescheduled') AND y.status IN ('upcoming','confirmed','rescheduled')
       LIMIT 20`,
    );
    for (const o of overlaps) v('overlap', `active appointments ${o.a} and ${o.b} overlap`);

    // no two live holds overlap, and no live hold overlaps someone else's active appointment
    const now = Date.now();
    const holds = await db.all<{ a: string; b: string }>(
      `SELECT x.token AS a, y.token AS b FROM reservations x JOIN reservations y
         ON y.provider_id = x.provider_id AND y.token > x.token AND y.block_start < x.block_end AND x.block_start < y.block_end
       WHERE x.status = 'active' AND y.status = 'active' AND x.expires_at > ? AND y.expires_at > ? LIMIT 20`,
      [now, now],
    );
    for (const h of holds) v('overlapping_holds', `live holds ${h.a} and ${h.b} overlap`);

    // a retried key never had a second effect
    const dups = await db.all<{ actor_id: string; k: string; n: number }>(
      `SELECT actor_id, idempotency_key AS k, COUNT(*) AS n FROM audit_entries
       WHERE outcome = 'applied' AND idempotency_key IS NOT NULL GROUP BY actor_id, idempotency_key
       HAVING COUNT(*) > 1 LIMIT 20`,
    );
    for (const d of dups) v('duplicate_effect', `key ${d.k} of ${d.actor_id} applied ${d.n} times`);

    // every acknowledged change is in the database and in the audit log
    const appt = (id: string) =>
      db.get<ApptRow>('SELECT id, status, version, start_at, end_at FROM appointments WHERE id = ?', [id]);
    const audit = (id: string, key: string) =>
      db.all<AuditRow>(
        `SELECT subject, action, idempotency_key, new_start FROM audit_entries
         WHERE subject = ? AND idempotency_key = ? AND outcome = 'applied'`,
        [id, key],
      );
    const latest = new Map<string, Ack>();
    for (const a of acks) {
      const row = await appt(a.appointmentId);
      if (!row) {
        v(
          'lost_ack',
          `${a.kind} of ${a.appointmentId} (key ${a.key}) acknowledged but the appointment is missing`,
        );
        continue;
      }
      const e = await audit(a.appointmentId, a.key);
      if (e.length === 0 || !e.some((x) => x.action === AUDIT_ACTION[a.kind]))
        v(
          'unaudited_ack',
          `${a.kind} of ${a.appointmentId} (key ${a.key}) acknowledged but not in the audit log`,
        );
      if (a.kind === 'reschedule' && e[0] && e[0].new_start !== Date.parse(a.start))
        v(
          'audit_mismatch',
          `reschedule of ${a.appointmentId}: audit says ${e[0].new_start}, client was told ${a.start}`,
        );
      if (row.version < a.version)
        v(
          'lost_ack',
          `${a.appointmentId} is at version ${row.version}, but version ${a.version} was acknowledged`,
        );
      const l = latest.get(a.appointmentId);
      if (!l || l.version < a.version) latest.set(a.appointmentId, a);
    }
    // where the last acknowledged change is also the last change, the row says what the client was told
    for (const a of latest.values()) {
      const row = await appt(a.appointmentId);
      if (!row || row.version !== a.version) continue;
      if (row.status !== a.status || row.start_at !== Date.parse(a.start))
        v(
          'state_mismatch',
          `${a.appointmentId} v${row.version}: database ${row.status} at ${new Date(row.start_at).toISOString()}, client was told ${a.status} at ${a.start}`,
        );
    }
  } finally {
    await db.close();
  }
  return ledger.violations.length - before;
}

export interface OutboxState {
  pending: number;
  done: number;
  dead: number;
}

export async function outboxState(target: DbTarget): Promise<OutboxState> {
  const db = await openTarget(target);
  try {
    const rows = await db.all<{ status: string; n: number }>(
      'SELECT status, COUNT(*) AS n FROM outbox GROUP BY status',
    );
    const s: OutboxState = { pending: 0, done: 0, dead: 0 };
    for (const r of rows) if (r.status in s) s[r.status as keyof OutboxState] = r.n;
    return s;
  } finally {
    await db.close();
  }
}

/**
 * The delivery guarantee: after the clients stop, every outbox event reaches `done`.
 * When no event was ever processed (no dispatcher in this build) it is noted, not failed,
 * unless `require` is set.
 */
export async function drainOutbox(
  target: DbTarget,
  ledger: Ledger,
  o: { seconds: number; require: boolean },
): Promise<OutboxState> {
  const until = Date.now() + o.seconds * 1000;
  let s = await outboxState(target);
  while (s.pending > 0 && Date.now() < until) {
    if (!o.require && s.done === 0 && s.dead === 0 && Date.now() > until - o.seconds * 1000 + 15_000) break;
    await sleep(1000);
    s = await outboxState(target);
  }
  const dispatcher = o.require || s.done > 0 || s.dead > 0;
  if (!dispatcher) {
    ledger.notes.push(
      `outbox: ${s.pending} events pending and none ever processed — this build has no outbox dispatcher; delivery not checked`,
    );
    return s;
  }
  if (s.pending > 0)
    ledger.violation(
      'outbox_undelivered',
      `${s.pending} outbox events still pending ${o.seconds} s after the clients stopped`,
    );
  if (s.dead > 0) ledger.violation('outbox_dead', `${s.dead} outbox events dead-lettered`);
  return s;
}
