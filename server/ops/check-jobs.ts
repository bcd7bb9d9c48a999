import type { CheckResult } from '../../shared/schemas.js';
import { type VerifyResult, verifyAudit } from '../audit/audit.js';
import type { Db } from '../db/open.js';
import { checkInvariants } from '../invariants/check.js';
import { type IntegrityResult, sqliteIntegrity } from '../invariants/integrity.js';

/**
 * The expensive read-only runs, as plain data so they can cross to a worker thread:
 * `check` is GET /admin/check, `verify` GET /admin/audit/verify, `quick_check` the
 * integrity part of /readyz.
 */
export type CheckJob =
  | { kind: 'check'; now: number; holdGraceMs: number }
  | { kind: 'verify' }
  | { kind: 'quick_check' };

export interface CheckJobResult {
  check: CheckResult;
  verify: VerifyResult;
  /** undefined on PostgreSQL (no such check there) */
  quick_check: IntegrityResult | undefined;
}

/** Runs a job on a database handle: the worker calls this on its own handle, the in-thread fallback on the server's. */
export async function runCheckJob<J extends CheckJob>(db: Db, job: J): Promise<CheckJobResult[J['kind']]> {
  type R = CheckJobResult[J['kind']];
  const j = job as CheckJob;
  switch (j.kind) {
    case 'check':
      return (await checkInvariants(db, j.now, { holdGraceMs: j.holdGraceMs })) as R;
    case 'verify':
      return (await verifyAudit(db)) as R;
    case 'quick_check':
      return sqliteIntegrity(db, 'quick_check') as R;
  }
}
