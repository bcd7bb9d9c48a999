/**
 * Stable error codes. One table maps code → HTTP status (server) and code → exit code
 * lives in cli/exit-codes.ts. Clients switch on `code`, never on `title` or `detail`.
 */
export const ERROR_STATUS = {
  validation: 400,
  idempotency_key_missing: 400,
  unauthorized: 401,
  bad_signature: 401,
  stale_signature: 401,
  forbidden: 403,
  not_found: 404,
  reservation_not_found: 404,
  slot_taken: 409,
  reservation_expired: 409,
  appointment_not_active: 409,
  appointment_started: 409,
  idempotency_in_flight: 409,
  replayed: 409,
  too_many_holds: 409,
  email_taken: 409,
  has_active_appointments: 409,
  conflict: 409,
  check_in_progress: 409,
  version_mismatch: 412,
  method_not_allowed: 405,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  policy_violation: 422,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_TITLES: Record<ErrorCode, string> = {
  validation: 'Invalid request',
  idempotency_key_missing: 'Idempotency-Key required',
  unauthorized: 'Authentication required',
  bad_signature: 'Bad signature',
  stale_signature: 'Stale signature',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  reservation_not_found: 'Reservation not found',
  slot_taken: 'Timeslot taken',
  reservation_expired: 'Reservation expired',
  appointment_not_active: 'Appointment not active',
  appointment_started: 'Appointment already started',
  idempotency_in_flight: 'Request with this Idempotency-Key is in flight',
  replayed: 'Replayed signature',
  too_many_holds: 'Too many holds',
  email_taken: 'A user with this email exists',
  has_active_appointments: 'Has active appointments',
  conflict: 'Conflict',
  check_in_progress: 'A check is already running',
  version_mismatch: 'Version mismatch',
  method_not_allowed: 'Method not allowed',
  request_timeout: 'Request timeout',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  headers_too_large: 'Request header fields too large',
  policy_violation: 'Policy violation',
  idempotency_key_reused: 'Idempotency-Key reused with a different request',
  rate_limited: 'Too many requests',
  internal: 'Internal error',
  unavailable: 'Service unavailable',
};

/** A domain failure with a stable code; `extra` lands in the problem+json body (e.g. alternatives). */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extra: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, detail?: string, extra?: Record<string, unknown>) {
    super(detail ?? ERROR_TITLES[code]);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.extra = extra;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** RFC 9457 problem details as this API sends them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  [extra: string]: unknown;
}

export function problemFor(code: ErrorCode, detail: string, extra?: Record<string, unknown>): Problem {
  return {
    type: `https://appt.dev/problems/${code.replace(/_/g, '-')}`,
    title: ERROR_TITLES[code],
    status: ERROR_STATUS[code],
    detail,
    code,
    ...extra,
  };
}
