import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The schema. Instants are INTEGER epoch milliseconds in UTC (cheap range comparisons in
 * the overlap checks); the API speaks ISO 8601. Ids are UUIDv7 so inserts stay at the
 * right edge of the indexes. Dialect-specific SQL stays inside server/db/.
 */

export const ACTIVE_STATUSES = ['upcoming', 'confirmed', 'rescheduled'] as const;
const activeSql = sql.raw(`status IN ('upcoming','confirmed','rescheduled')`);

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    email: text('email').notNull(),
    phone: text('phone'),
    createdAt: integer('created_at').notNull(),
  },
  // one customer per email, whatever its case (POST /admin/users answers 409 email_taken)
  (t) => [uniqueIndex('users_email_unique').on(sql`lower(${t.email})`)],
);

export const providers = sqliteTable('providers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  timezone: text('timezone').notNull(),
  email: text('email'),
  caldavUrl: text('caldav_url'),
  feedToken: text('feed_token').notNull(),
  createdAt: integer('created_at').notNull(),
  /** removed by an admin (kept for the appointments and audit entries that name it) */
  retiredAt: integer('retired_at'),
});

/**
 * A provider's CalDAV credentials, kept apart from the provider row so that no query that
 * serves a provider can carry them: write-only, read only by the calendar sync job.
 */
export const providerCredentials = sqliteTable('provider_credentials', {
  providerId: text('provider_id')
    .primaryKey()
    .references(() => providers.id),
  caldavUsername: text('caldav_username'),
  caldavPassword: text('caldav_password'),
  caldavToken: text('caldav_token'),
  updatedAt: integer('updated_at').notNull(),
});

export const services = sqliteTable(
  'services',
  {
    id: text('id').primaryKey(),
    providerId: text('provider_id')
      .notNull()
      .references(() => providers.id),
    title: text('title').notNull(),
    durationMinutes: integer('duration_minutes').notNull(),
    bufferBeforeMinutes: integer('buffer_before_minutes').notNull().default(0),
    bufferAfterMinutes: integer('buffer_after_minutes').notNull().default(0),
    slotStepMinutes: integer('slot_step_minutes').notNull(),
    minNoticeMinutes: integer('min_notice_minutes').notNull().default(0),
    maxAdvanceDays: integer('max_advance_days').notNull().default(365),
    priceCents: integer('price_cents').notNull(),
    currency: text('currency').notNull().default('USD'),
    requiresApproval: integer('requires_approval', { mode: 'boolean' }).notNull().default(false),
    cancelFreeUntilHoursBefore: integer('cancel_free_until_hours_before'),
    cancelFeeCents: integer('cancel_fee_cents'),
    createdAt: integer('created_at').notNull(),
    /** removed by an admin (kept for the appointments and audit entries that name it) */
    retiredAt: integer('retired_at'),
  },
  (t) => [index('services_provider').on(t.providerId)],
);

export const workingHours = sqliteTable(
  'working_hours',
  {
    id: text('id').primaryKey(),
    providerId: text('provider_id')
      .notNull()
      .references(() => providers.id),
    /** ISO weekday, Monday = 1 */
    weekday: integer('weekday').notNull(),
    /** minutes after local midnight */
    startMinute: integer('start_minute').notNull(),
    endMinute: integer('end_minute').notNull(),
  },
  (t) => [index('working_hours_provider').on(t.providerId, t.weekday)],
);

export const busyBlocks = sqliteTable(
  'busy_blocks',
  {
    id: text('id').primaryKey(),
    providerId: text('provider_id')
      .notNull()
      .references(() => providers.id),
    startAt: integer('start_at').notNull(),
    endAt: integer('end_at').notNull(),
    /** manual (time off) | calendar (external calendar webhook) */
    source: text('source').notNull(),
    externalId: text('external_id'),
    reason: text('reason'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('busy_blocks_provider_start').on(t.providerId, t.startAt),
    uniqueIndex('busy_blocks_external').on(t.providerId, t.source, t.externalId),
  ],
);

export const appointments = sqliteTable(
  'appointments',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    providerId: text('provider_id')
      .notNull()
      .references(() => providers.id),
    serviceId: text('service_id')
      .notNull()
      .references(() => services.id),
    startAt: integer('start_at').notNull(),
    endAt: integer('end_at').notNull(),
    /** start/end widened by the service's buffers: what the slot really blocks */
    blockStart: integer('block_start').notNull(),
    blockEnd: integer('block_end').notNull(),
    status: text('status').notNull(),
    priceCents: integer('price_cents').notNull(),
    currency: text('currency').notNull(),
    version: integer('version').notNull().default(1),
    rescheduleCount: integer('reschedule_count').notNull().default(0),
    previousStart: integer('previous_start'),
    previousEnd: integer('previous_end'),
    cancelledAt: integer('cancelled_at'),
    cancelReason: text('cancel_reason'),
    feeCents: integer('fee_cents'),
    refundCents: integer('refund_cents'),
    needsAttention: integer('needs_attention', { mode: 'boolean' }).notNull().default(false),
    attentionReason: text('attention_reason'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('appointments_active_slot').on(t.providerId, t.startAt).where(activeSql),
    index('appointments_provider_block').on(t.providerId, t.blockStart),
    // id last: pages ordered by (start, id) come straight off the index, no sort
    index('appointments_user_start').on(t.userId, t.startAt, t.id),
    index('appointments_start').on(t.startAt),
  ],
);

export const reservations = sqliteTable(
  'reservations',
  {
    token: text('token').primaryKey(),
    timeslotId: text('timeslot_id').notNull(),
    providerId: text('provider_id')
      .notNull()
      .references(() => providers.id),
    serviceId: text('service_id')
      .notNull()
      .references(() => services.id),
    userId: text('user_id'),
    appointmentId: text('appointment_id'),
    actorId: text('actor_id').notNull(),
    /** book | reschedule */
    purpose: text('purpose').notNull(),
    startAt: integer('start_at').notNull(),
    endAt: integer('end_at').notNull(),
    blockStart: integer('block_start').notNull(),
    blockEnd: integer('block_end').notNull(),
    /** active | consumed | released | expired */
    status: text('status').notNull(),
    expiresAt: integer('expires_at').notNull(),
    createdAt: integer('created_at').notNull(),
    endedAt: integer('ended_at'),
  },
  (t) => [
    uniqueIndex('reservations_active_slot').on(t.providerId, t.startAt).where(sql.raw(`status = 'active'`)),
    index('reservations_provider_block').on(t.providerId, t.blockStart),
    index('reservations_status_expires').on(t.status, t.expiresAt),
  ],
);

export const auditEntries = sqliteTable(
  'audit_entries',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    id: text('id').notNull().unique(),
    /** the hash chain this entry belongs to: the appointment id, or 'admin' */
    subject: text('subject').notNull(),
    appointmentId: text('appointment_id'),
    action: text('action').notNull(),
    /** applied | rejected */
    outcome: text('outcome').notNull(),
    actorId: text('actor_id').notNull(),
    actorType: text('actor_type').notNull(),
    channel: text('channel').notNull(),
    /** the server's own id of the request that made the entry */
    requestId: text('request_id'),
    /** the X-Request-Id the client sent, if any (kept beside the server's, never instead of it) */
    clientRequestId: text('client_request_id'),
    idempotencyKey: text('idempotency_key'),
    errorCode: text('error_code'),
    reason: text('reason'),
    previousStart: integer('previous_start'),
    previousEnd: integer('previous_end'),
    newStart: integer('new_start'),
    newEnd: integer('new_end'),
    feeCents: integer('fee_cents'),
    metadata: text('metadata'),
    timestamp: integer('timestamp').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_subject_seq').on(t.subject, t.seq),
    index('audit_actor').on(t.actorId, t.seq),
    index('audit_timestamp').on(t.timestamp),
  ],
);

/**
 * The anchored head of each audit chain: how many entries it has and the last one's hash,
 * written in the same transaction as every entry. A removed tail (newest entries deleted
 * with the triggers dropped) leaves the chain shorter than its head says; triggers let a
 * head only move forward one entry at a time and never be deleted.
 */
export const auditHeads = sqliteTable('audit_heads', {
  subject: text('subject').primaryKey(),
  entries: integer('entries').notNull(),
  lastSeq: integer('last_seq').notNull(),
  lastHash: text('last_hash').notNull(),
});

export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    actorId: text('actor_id').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    route: text('route').notNull(),
    fingerprint: text('fingerprint').notNull(),
    /** in_flight | done */
    state: text('state').notNull(),
    statusCode: integer('status_code'),
    body: text('body'),
    contentType: text('content_type'),
    headers: text('headers'),
    createdAt: integer('created_at').notNull(),
    /** an in-flight claim left by a crashed process may be taken over after this */
    lockedUntil: integer('locked_until').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.actorId, t.key] }), index('idempotency_expires').on(t.expiresAt)],
);

export const outbox = sqliteTable(
  'outbox',
  {
    id: text('id').primaryKey(),
    topic: text('topic').notNull(),
    payload: text('payload').notNull(),
    /** pending | done | dead */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    claimedUntil: integer('claimed_until'),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    processedAt: integer('processed_at'),
  },
  (t) => [index('outbox_status_next').on(t.status, t.nextAttemptAt)],
);

export const notifications = sqliteTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    eventId: text('event_id').notNull(),
    appointmentId: text('appointment_id'),
    /** email | sms | push */
    channel: text('channel').notNull(),
    recipient: text('recipient').notNull(),
    template: text('template').notNull(),
    /** queued | sent | delivered | failed | bounced */
    status: text('status').notNull(),
    messageId: text('message_id').notNull(),
    providerMessageId: text('provider_message_id'),
    payload: text('payload'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    claimedUntil: integer('claimed_until'),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('notifications_event_recipient').on(t.eventId, t.channel, t.recipient),
    index('notifications_appointment').on(t.appointmentId),
    index('notifications_status_next').on(t.status, t.nextAttemptAt),
    index('notifications_message').on(t.messageId),
  ],
);

export const calendarSync = sqliteTable(
  'calendar_sync',
  {
    id: text('id').primaryKey(),
    appointmentId: text('appointment_id').notNull(),
    providerId: text('provider_id').notNull(),
    target: text('target').notNull(),
    externalUid: text('external_uid').notNull(),
    sequence: integer('sequence').notNull().default(0),
    /** pending | synced | failed | deleted */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    lastError: text('last_error'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('calendar_sync_target').on(t.appointmentId, t.target)],
);

export const apiTokens = sqliteTable('api_tokens', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** admin | staff | support | user */
  role: text('role').notNull(),
  userId: text('user_id'),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: integer('created_at').notNull(),
  expiresAt: integer('expires_at'),
  revokedAt: integer('revoked_at'),
  lastUsedAt: integer('last_used_at'),
});

export const webhookSignatures = sqliteTable('webhook_signatures', {
  signature: text('signature').primaryKey(),
  receivedAt: integer('received_at').notNull(),
});

/**
 * Change marks behind validators that are known before a list is read (`ETag` of
 * `GET /users/{id}/appointments`): `user:<id>` changes whenever one of that customer's
 * appointments is inserted, updated or deleted, `catalog` whenever a provider or a service
 * is. Set by triggers (migration 0006), so no write path can forget one; each mark is a
 * fresh random value rather than a count, so a restored backup never brings back a mark
 * a client has already seen for different data.
 */
export const changeMarks = sqliteTable('change_marks', {
  key: text('key').primaryKey(),
  mark: integer('mark').notNull(),
});
