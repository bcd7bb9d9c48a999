import { ERROR_STATUS, type ErrorCode } from '../../shared/errors.js';
import type { Access } from './auth.js';

/**
 * Which problem codes each operation can answer with — what the OpenAPI document lists per
 * operation and status (issue 12.11). An operation's codes are the ones every route of its
 * kind can give (a malformed request, no or a bad token, a missing role, an unknown id, a
 * body too big or of the wrong type, shutdown, a bug) plus its own, below.
 *
 * Kept true by the test harness: every problem a route test provokes is checked against
 * the document when the harness closes (server/testing/harness.ts), so a code thrown by a
 * route but missing here fails the test that provoked it.
 */
const OWN: Record<string, ErrorCode[]> = {
  'get /providers/{providerId}/availability': ['policy_violation'],
  'post /reservations': [
    'not_found',
    'slot_taken',
    'too_many_holds',
    'appointment_not_active',
    'appointment_started',
    'policy_violation',
    'idempotency_in_flight',
    'idempotency_key_reused',
  ],
  'delete /reservations/{token}': ['reservation_not_found'],
  'post /bookings': [
    'idempotency_key_missing',
    'reservation_not_found',
    'reservation_expired',
    'slot_taken',
    'policy_violation',
    'idempotency_in_flight',
    'idempotency_key_reused',
  ],
  'post /appointments/{id}/reschedule': [
    'idempotency_key_missing',
    'reservation_not_found',
    'reservation_expired',
    'slot_taken',
    'appointment_not_active',
    'appointment_started',
    'policy_violation',
    'version_mismatch',
    'idempotency_in_flight',
    'idempotency_key_reused',
  ],
  'post /appointments/{id}/cancel': [
    'idempotency_key_missing',
    'appointment_not_active',
    'appointment_started',
    'version_mismatch',
    'idempotency_in_flight',
    'idempotency_key_reused',
  ],
  'post /appointments/{id}/confirm': [
    'idempotency_key_missing',
    'appointment_not_active',
    'version_mismatch',
    'idempotency_in_flight',
    'idempotency_key_reused',
  ],
  'post /appointments/{id}/complete': ['appointment_not_active', 'policy_violation', 'version_mismatch'],
  'post /appointments/{id}/no-show': ['appointment_not_active', 'policy_violation', 'version_mismatch'],
  'post /appointments/{id}/attention': ['version_mismatch'],
  'get /appointments/{id}/cancellation-quote': ['appointment_not_active'],
  'post /webhooks/notifications': ['bad_signature', 'stale_signature', 'replayed', 'not_found'],
  'post /webhooks/calendar': ['bad_signature', 'stale_signature', 'replayed', 'not_found'],
  'post /realtime/auth': ['forbidden'],
  'post /admin/users': ['email_taken'],
  'patch /admin/services/{id}': ['has_active_appointments'],
  'delete /admin/services/{id}': ['has_active_appointments'],
  'delete /admin/providers/{id}': ['has_active_appointments'],
  // one expensive admin run at a time (server/ops/checks.ts)
  'get /admin/check': ['check_in_progress'],
  'get /admin/audit/verify': ['check_in_progress'],
  'post /apps/{appId}/events': ['bad_signature', 'stale_signature', 'replayed', 'forbidden'],
  'post /apps/{appId}/batch_events': ['bad_signature', 'stale_signature', 'replayed', 'forbidden'],
};

export interface OperationShape {
  access: Access;
  /** the method can carry a body (anything but GET/HEAD): size and content type are checked even without a schema */
  body: boolean;
  /** the path has a parameter (an id that may not exist) */
  pathParams: boolean;
}

/** The problem codes of one operation (`get /appointments/{id}`), grouped by status. */
export function operationCodes(key: string, shape: OperationShape): Map<number, ErrorCode[]> {
  const codes = new Set<ErrorCode>(['validation', 'internal', 'unavailable']);
  const authenticated = shape.access !== 'open' && shape.access !== 'signed';
  if (authenticated) for (const c of ['unauthorized', 'rate_limited'] as const) codes.add(c);
  if (Array.isArray(shape.access)) codes.add('forbidden');
  if (shape.pathParams) codes.add('not_found');
  if (shape.body) for (const c of ['payload_too_large', 'unsupported_media_type'] as const) codes.add(c);
  for (const c of OWN[key] ?? []) codes.add(c);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) {
    const s = ERROR_STATUS[c];
    byStatus.set(s, [...(byStatus.get(s) ?? []), c]);
  }
  return byStatus;
}
