-- appt on PostgreSQL: the same tables as the SQLite migrations (server/db/migrations),
-- with bigint for every integer (instants are milliseconds) and the C collation, so text
-- sorts as it does in SQLite. Applied by server/db/pg-migrate.ts under an advisory lock.
CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"user_id" text,
	"token_hash" text NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint,
	"revoked_at" bigint,
	"last_used_at" bigint
);

CREATE UNIQUE INDEX "api_tokens_token_hash_unique" ON "api_tokens" ("token_hash");
CREATE TABLE "appointments" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"service_id" text NOT NULL,
	"start_at" bigint NOT NULL,
	"end_at" bigint NOT NULL,
	"block_start" bigint NOT NULL,
	"block_end" bigint NOT NULL,
	"status" text NOT NULL,
	"price_cents" bigint NOT NULL,
	"currency" text NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	"reschedule_count" bigint DEFAULT 0 NOT NULL,
	"previous_start" bigint,
	"previous_end" bigint,
	"cancelled_at" bigint,
	"cancel_reason" text,
	"fee_cents" bigint,
	"refund_cents" bigint,
	"needs_attention" bigint DEFAULT 0 NOT NULL,
	"attention_reason" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);

CREATE UNIQUE INDEX "appointments_active_slot" ON "appointments" ("provider_id","start_at") WHERE status IN ('upcoming','confirmed','rescheduled');
CREATE INDEX "appointments_provider_block" ON "appointments" ("provider_id","block_start");
CREATE INDEX "appointments_user_start" ON "appointments" ("user_id","start_at","id");
CREATE INDEX "appointments_start" ON "appointments" ("start_at");
CREATE TABLE "audit_entries" (
	"seq" bigserial PRIMARY KEY,
	"id" text NOT NULL,
	"subject" text NOT NULL,
	"appointment_id" text,
	"action" text NOT NULL,
	"outcome" text NOT NULL,
	"actor_id" text NOT NULL,
	"actor_type" text NOT NULL,
	"channel" text NOT NULL,
	"request_id" text,
	"idempotency_key" text,
	"error_code" text,
	"reason" text,
	"previous_start" bigint,
	"previous_end" bigint,
	"new_start" bigint,
	"new_end" bigint,
	"fee_cents" bigint,
	"metadata" text,
	"timestamp" bigint NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);

CREATE UNIQUE INDEX "audit_entries_id_unique" ON "audit_entries" ("id");
CREATE INDEX "audit_subject_seq" ON "audit_entries" ("subject","seq");
CREATE INDEX "audit_actor" ON "audit_entries" ("actor_id","seq");
CREATE INDEX "audit_timestamp" ON "audit_entries" ("timestamp");
CREATE TABLE "busy_blocks" (
	"id" text PRIMARY KEY NOT NULL,
	"provider_id" text NOT NULL,
	"start_at" bigint NOT NULL,
	"end_at" bigint NOT NULL,
	"source" text NOT NULL,
	"external_id" text,
	"reason" text,
	"created_at" bigint NOT NULL
);

CREATE INDEX "busy_blocks_provider_start" ON "busy_blocks" ("provider_id","start_at");
CREATE UNIQUE INDEX "busy_blocks_external" ON "busy_blocks" ("provider_id","source","external_id");
CREATE TABLE "calendar_sync" (
	"id" text PRIMARY KEY NOT NULL,
	"appointment_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"target" text NOT NULL,
	"external_uid" text NOT NULL,
	"sequence" bigint DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"attempts" bigint DEFAULT 0 NOT NULL,
	"next_attempt_at" bigint NOT NULL,
	"last_error" text,
	"updated_at" bigint NOT NULL
);

CREATE UNIQUE INDEX "calendar_sync_target" ON "calendar_sync" ("appointment_id","target");
CREATE TABLE "idempotency_keys" (
	"actor_id" text NOT NULL,
	"key" text NOT NULL,
	"method" text NOT NULL,
	"route" text NOT NULL,
	"fingerprint" text NOT NULL,
	"state" text NOT NULL,
	"status_code" bigint,
	"body" text,
	"content_type" text,
	"headers" text,
	"created_at" bigint NOT NULL,
	"locked_until" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	PRIMARY KEY("actor_id", "key")
);

CREATE INDEX "idempotency_expires" ON "idempotency_keys" ("expires_at");
CREATE TABLE "notifications" (
	"id" text PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"appointment_id" text,
	"channel" text NOT NULL,
	"recipient" text NOT NULL,
	"template" text NOT NULL,
	"status" text NOT NULL,
	"message_id" text NOT NULL,
	"provider_message_id" text,
	"payload" text,
	"attempts" bigint DEFAULT 0 NOT NULL,
	"next_attempt_at" bigint NOT NULL,
	"claimed_until" bigint,
	"last_error" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);

CREATE UNIQUE INDEX "notifications_event_recipient" ON "notifications" ("event_id","channel","recipient");
CREATE INDEX "notifications_appointment" ON "notifications" ("appointment_id");
CREATE INDEX "notifications_status_next" ON "notifications" ("status","next_attempt_at");
CREATE INDEX "notifications_message" ON "notifications" ("message_id");
CREATE TABLE "outbox" (
	"id" text PRIMARY KEY NOT NULL,
	"topic" text NOT NULL,
	"payload" text NOT NULL,
	"status" text NOT NULL,
	"attempts" bigint DEFAULT 0 NOT NULL,
	"next_attempt_at" bigint NOT NULL,
	"claimed_until" bigint,
	"last_error" text,
	"created_at" bigint NOT NULL,
	"processed_at" bigint
);

CREATE INDEX "outbox_status_next" ON "outbox" ("status","next_attempt_at");
CREATE TABLE "providers" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"timezone" text NOT NULL,
	"email" text,
	"caldav_url" text,
	"feed_token" text NOT NULL,
	"created_at" bigint NOT NULL
);

CREATE TABLE "reservations" (
	"token" text PRIMARY KEY NOT NULL,
	"timeslot_id" text NOT NULL,
	"provider_id" text NOT NULL,
	"service_id" text NOT NULL,
	"user_id" text,
	"appointment_id" text,
	"actor_id" text NOT NULL,
	"purpose" text NOT NULL,
	"start_at" bigint NOT NULL,
	"end_at" bigint NOT NULL,
	"block_start" bigint NOT NULL,
	"block_end" bigint NOT NULL,
	"status" text NOT NULL,
	"expires_at" bigint NOT NULL,
	"created_at" bigint NOT NULL,
	"ended_at" bigint
);

CREATE UNIQUE INDEX "reservations_active_slot" ON "reservations" ("provider_id","start_at") WHERE status = 'active';
CREATE INDEX "reservations_provider_block" ON "reservations" ("provider_id","block_start");
CREATE INDEX "reservations_status_expires" ON "reservations" ("status","expires_at");
CREATE TABLE "services" (
	"id" text PRIMARY KEY NOT NULL,
	"provider_id" text NOT NULL,
	"title" text NOT NULL,
	"duration_minutes" bigint NOT NULL,
	"buffer_before_minutes" bigint DEFAULT 0 NOT NULL,
	"buffer_after_minutes" bigint DEFAULT 0 NOT NULL,
	"slot_step_minutes" bigint NOT NULL,
	"min_notice_minutes" bigint DEFAULT 0 NOT NULL,
	"max_advance_days" bigint DEFAULT 365 NOT NULL,
	"price_cents" bigint NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"requires_approval" bigint DEFAULT 0 NOT NULL,
	"cancel_free_until_hours_before" bigint,
	"cancel_fee_cents" bigint,
	"created_at" bigint NOT NULL
);

CREATE INDEX "services_provider" ON "services" ("provider_id");
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"phone" text,
	"created_at" bigint NOT NULL
);

CREATE TABLE "webhook_signatures" (
	"signature" text PRIMARY KEY NOT NULL,
	"received_at" bigint NOT NULL
);

CREATE TABLE "working_hours" (
	"id" text PRIMARY KEY NOT NULL,
	"provider_id" text NOT NULL,
	"weekday" bigint NOT NULL,
	"start_minute" bigint NOT NULL,
	"end_minute" bigint NOT NULL
);

CREATE INDEX "working_hours_provider" ON "working_hours" ("provider_id","weekday");
CREATE TABLE "provider_credentials" (
	"provider_id" text PRIMARY KEY NOT NULL,
	"caldav_username" text,
	"caldav_password" text,
	"caldav_token" text,
	"updated_at" bigint NOT NULL
);

-- foreign keys last: every table exists by now
ALTER TABLE "appointments" ADD FOREIGN KEY ("user_id") REFERENCES "users"("id") ON UPDATE no action ON DELETE no action;
ALTER TABLE "appointments" ADD FOREIGN KEY ("provider_id") REFERENCES "providers"("id") ON UPDATE no action ON DELETE no action;
ALTER TABLE "appointments" ADD FOREIGN KEY ("service_id") REFERENCES "services"("id") ON UPDATE no action ON DELETE no action;
ALTER TABLE "busy_blocks" ADD FOREIGN KEY ("provider_id") REFERENCES "providers"("id") ON UPDATE no action ON DELETE no action;
ALTER TABLE "reservations" ADD FOREIGN KEY ("provider_id") REFERENCES "providers"("id") ON UPDATE no action ON DELETE no action;
ALTER TABLE "reservations" ADD FOREIGN KEY ("service_id") REFERENCES "services"("id") ON UPDATE no action ON DELETE no action;
ALTER TABLE "services" ADD FOREIGN KEY ("provider_id") REFERENCES "providers"("id") ON UPDATE no action ON DELETE no action;
ALTER TABLE "working_hours" ADD FOREIGN KEY ("provider_id") REFERENCES "providers"("id") ON UPDATE no action ON DELETE no action;
ALTER TABLE "provider_credentials" ADD FOREIGN KEY ("provider_id") REFERENCES "providers"("id") ON UPDATE no action ON DELETE no action;
