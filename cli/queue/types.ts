/**
 * The offline queue's records (shared by the CLI and the TUI). Kept free of Node imports so
 * the TUI's screens can import the types without pulling in the file layer.
 */

export type QueuedKind = 'cancel' | 'reschedule';

/** Who made an intent: a queue belongs to the login that made it (server + token). */
export interface QueueIdentity {
  server: string;
  /** first 16 hex of SHA-256(token): identifies the login without storing the token twice */
  tokenHash: string;
  tokenId?: string | undefined;
  userId?: string | undefined;
  /** the token's name, for `appt queue list` */
  name?: string | undefined;
}

export interface QueueProblem {
  code: string;
  status: number;
  detail: string;
  alternatives?: unknown[] | undefined;
}

/** An intent made while offline; replayed with the same key and the version it saw. */
export interface QueuedAction {
  id: string;
  kind: QueuedKind;
  appointmentId: string;
  idempotencyKey: string;
  /** version the user saw (sent as If-Match); null only when it was never seen */
  version?: number | null | undefined;
  queuedAt: string;
  server: string;
  /** set by the queue when the intent is added (the current login) */
  identity?: QueueIdentity | undefined;
  cancel?: { reason?: string | undefined; waiveFee?: boolean | undefined };
  reschedule?: {
    providerId: string;
    serviceId: string;
    timeslotId: string;
    start?: string | undefined;
    reason?: string | undefined;
  };
  /** a short description for `appt queue list` */
  summary?: string;
  attempts?: number;
  /** a business refusal (409/412/422): kept, with alternatives, until replayed by hand or dropped */
  lastError?: QueueProblem | undefined;
  /** the last attempt that could not reach a decision (offline, 5xx, 429, …): still queued */
  lastAttempt?: { at: string; error: QueueProblem } | undefined;
  /** a replayer working on it right now (another process skips it until the claim is stale) */
  claim?: { pid: number; host: string; at: string; by: string } | undefined;
}

export interface QueueDoc {
  format: 1;
  items: QueuedAction[];
}
