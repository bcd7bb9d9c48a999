import type { CheckResult } from '../../shared/schemas.js';
import { iso } from '../../shared/time.js';
import { verifyAudit } from '../audit/audit.js';
import { type Db, stmt } from '../db/open.js';
import { sqliteIntegrity } from './integrity.js';

/**
 * Scans the database for broken promises. First SQLite's own `PRAGMA integrity_check` (a
 * damaged page or index, kind `integrity`; skipped on PostgreSQL): when it fails, that is
 * the one problem reported, because the other checks would read the damaged file and their
 * answers (or errors) mean nothing. Then: overlapping active appointments of one provider,
 * holds still marked active past their expiry (beyond a sweeper's grace), audit chains
 * that do not verify, and active appointments whose creation is not in the audit log.
 */
export async function checkInvariants(
  db: Db,
  now: number,
  opts: { holdGraceMs?: number } = {},
): Promise<CheckResult> {
  const integrity = sqliteIntegrity(db, 'integrity_check');
  if (integrity && !integrity.ok)
    return {
      ok: false,
      problems: [
        {
          kind: 'integrity',
          detail: `the database file is damaged: ${integrity.detail}${
            (integrity.messages ?? 1) > 1 ? ` (and ${integrity.messages! - 1} more)` : ''
          }`,
        },
      ],
    };
  const problems: CheckResult['problems'] = [];
  const overlaps = await stmt<{ a: string; b: string; provider_id: string }>(
    db,
    `SELECT x.id AS a, y.id AS b, x.provider_id FROM appointments x JOIN appointments y
       ON y.provider_id = x.provider_id AND y.id > x.id
      AND y.block_start < x.block_end AND x.block_start < y.block_end
      AND y.block_start > x.block_start - 86400000
     WHERE x.status IN ('upcoming','confirmed','rescheduled') AND y.status IN ('upcoming','confirmed','rescheduled')
     LIMIT 50`,
  ).all();
  for (const o of overlaps)
    problems.push({
      kind: 'overlap',
      id: o.a,
      detail: `appointments ${o.a} and ${o.b} of provider ${o.provider_id} overlap`,
    });

  const grace = opts.holdGraceMs ?? 0;
  const stale = await stmt<{ token: string; expires_at: number }>(
    db,
    "SELECT token, expires_at FROM reservations WHERE status = 'active' AND expires_at <= ? LIMIT 50",
  ).all(now - grace);
  for (const r of stale)
    problems.push({
      kind: 'stale_hold',
      id: r.token,
      detail: `hold ${r.token} is active past its expiry ${iso(r.expires_at)}`,
    });

  const doubleHolds = await stmt<{ provider_id: string; start_at: number; n: number }>(
    db,
    `SELECT provider_id, start_at, COUNT(*) AS n FROM reservations WHERE status = 'active' AND expires_at > ?
     GROUP BY provider_id, start_at HAVING COUNT(*) > 1 LIMIT 50`,
  ).all(now);
  for (const d of doubleHolds)
    problems.push({
      kind: 'double_hold',
      detail: `${d.n} active holds on provider ${d.provider_id} at ${iso(d.start_at)}`,
    });

  const v = await verifyAudit(db);
  if (!v.ok)
    problems.push({
      kind: 'audit_chain',
      id: v.firstBadId ?? v.subject,
      detail: `audit chain broken: ${v.detail}`,
    });

  const unaudited = await stmt<{ id: string }>(
    db,
    `SELECT a.id FROM appointments a WHERE NOT EXISTS
      (SELECT 1 FROM audit_entries e WHERE e.subject = a.id AND e.action = 'created' AND e.outcome = 'applied') LIMIT 50`,
  ).all();
  for (const u of unaudited)
    problems.push({
      kind: 'unaudited',
      id: u.id,
      detail: `appointment ${u.id} has no 'created' audit entry`,
    });

  const versions = await stmt<{ id: string; version: number; n: number }>(
    db,
    `SELECT a.id, a.version, (SELECT COUNT(*) FROM audit_entries e WHERE e.subject = a.id AND e.outcome = 'applied') AS n
     FROM appointments a WHERE a.version <> (SELECT COUNT(*) FROM audit_entries e WHERE e.subject = a.id AND e.outcome = 'applied')
     LIMIT 50`,
  ).all();
  for (const x of versions)
    problems.push({
      kind: 'version_audit_mismatch',
      id: x.id,
      detail: `appointment ${x.id} is at version ${x.version} but has ${x.n} applied audit entries`,
    });
  return { ok: problems.length === 0, problems };
}
