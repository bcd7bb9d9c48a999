import { AppError } from '../../shared/errors.js';
import { type Actor, appendAudit } from '../audit/audit.js';
import type { Db } from '../db/open.js';
import type { WriteScope } from '../outbox/write.js';
import { getAppointmentRow } from './read.js';
import type { WriteMeta } from './write.js';

/** Codes that are a refused attempt worth recording (not "no such thing" or bad JSON). */
const AUDITED_REJECTIONS = new Set([
  'slot_taken',
  'reservation_expired',
  'reservation_not_found',
  'policy_violation',
  'appointment_not_active',
  'appointment_started',
  'version_mismatch',
  'forbidden',
]);

/**
 * Records a refused book / reschedule / cancel in the audit log. The failed change rolled
 * back, so this is its own small transaction.
 */
export async function auditRejection(
  db: Db,
  w: WriteScope,
  actor: Actor,
  action: string,
  appointmentId: string | null,
  err: unknown,
  m: WriteMeta,
  metadata?: unknown,
): Promise<void> {
  if (!(err instanceof AppError) || !AUDITED_REJECTIONS.has(err.code)) return;
  const exists = appointmentId ? await getAppointmentRow(db, appointmentId) : undefined;
  if (appointmentId && (!exists || (actor.role === 'user' && exists.user_id !== actor.userId))) return;
  await appendAudit(db, {
    appointmentId: exists ? appointmentId : null,
    action,
    outcome: 'rejected',
    actor,
    idempotencyKey: m.idempotencyKey ?? null,
    errorCode: err.code,
    reason: err.message,
    metadata,
    timestamp: w.now,
  });
}
