CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`user_id` text,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`last_used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `appointments` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`service_id` text NOT NULL,
	`start_at` integer NOT NULL,
	`end_at` integer NOT NULL,
	`block_start` integer NOT NULL,
	`block_end` integer NOT NULL,
	`status` text NOT NULL,
	`price_cents` integer NOT NULL,
	`currency` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`reschedule_count` integer DEFAULT 0 NOT NULL,
	`previous_start` integer,
	`previous_end` integer,
	`cancelled_at` integer,
	`cancel_reason` text,
	`fee_cents` integer,
	`refund_cents` integer,
	`needs_attention` integer DEFAULT false NOT NULL,
	`attention_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`provider_id`) REFERENCES `providers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `appointments_active_slot` ON `appointments` (`provider_id`,`start_at`) WHERE status IN ('upcoming','confirmed','rescheduled');--> statement-breakpoint
CREATE INDEX `appointments_provider_block` ON `appointments` (`provider_id`,`block_start`);--> statement-breakpoint
CREATE INDEX `appointments_user_start` ON `appointments` (`user_id`,`start_at`);--> statement-breakpoint
CREATE INDEX `appointments_start` ON `appointments` (`start_at`);--> statement-breakpoint
CREATE TABLE `audit_entries` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`subject` text NOT NULL,
	`appointment_id` text,
	`action` text NOT NULL,
	`outcome` text NOT NULL,
	`actor_id` text NOT NULL,
	`actor_type` text NOT NULL,
	`channel` text NOT NULL,
	`request_id` text,
	`idempotency_key` text,
	`error_code` text,
	`reason` text,
	`previous_start` integer,
	`previous_end` integer,
	`new_start` integer,
	`new_end` integer,
	`fee_cents` integer,
	`metadata` text,
	`timestamp` integer NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_entries_id_unique` ON `audit_entries` (`id`);--> statement-breakpoint
CREATE INDEX `audit_subject_seq` ON `audit_entries` (`subject`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_actor` ON `audit_entries` (`actor_id`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_timestamp` ON `audit_entries` (`timestamp`);--> statement-breakpoint
CREATE TABLE `busy_blocks` (
	`id` text PRIMARY KEY NOT NULL,
	`provider_id` text NOT NULL,
	`start_at` integer NOT NULL,
	`end_at` integer NOT NULL,
	`source` text NOT NULL,
	`external_id` text,
	`reason` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`provider_id`) REFERENCES `providers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `busy_blocks_provider_start` ON `busy_blocks` (`provider_id`,`start_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `busy_blocks_external` ON `busy_blocks` (`provider_id`,`source`,`external_id`);--> statement-breakpoint
CREATE TABLE `calendar_sync` (
	`id` text PRIMARY KEY NOT NULL,
	`appointment_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`target` text NOT NULL,
	`external_uid` text NOT NULL,
	`sequence` integer DEFAULT 0 NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `calendar_sync_target` ON `calendar_sync` (`appointment_id`,`target`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`actor_id` text NOT NULL,
	`key` text NOT NULL,
	`method` text NOT NULL,
	`route` text NOT NULL,
	`fingerprint` text NOT NULL,
	`state` text NOT NULL,
	`status_code` integer,
	`body` text,
	`content_type` text,
	`headers` text,
	`created_at` integer NOT NULL,
	`locked_until` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`actor_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_expires` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`appointment_id` text,
	`channel` text NOT NULL,
	`recipient` text NOT NULL,
	`template` text NOT NULL,
	`status` text NOT NULL,
	`message_id` text NOT NULL,
	`provider_message_id` text,
	`payload` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`claimed_until` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_event_recipient` ON `notifications` (`event_id`,`channel`,`recipient`);--> statement-breakpoint
CREATE INDEX `notifications_appointment` ON `notifications` (`appointment_id`);--> statement-breakpoint
CREATE INDEX `notifications_status_next` ON `notifications` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `notifications_message` ON `notifications` (`message_id`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`topic` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`claimed_until` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`processed_at` integer
);
--> statement-breakpoint
CREATE INDEX `outbox_status_next` ON `outbox` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `providers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`timezone` text NOT NULL,
	`email` text,
	`caldav_url` text,
	`feed_token` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `reservations` (
	`token` text PRIMARY KEY NOT NULL,
	`timeslot_id` text NOT NULL,
	`provider_id` text NOT NULL,
	`service_id` text NOT NULL,
	`user_id` text,
	`appointment_id` text,
	`actor_id` text NOT NULL,
	`purpose` text NOT NULL,
	`start_at` integer NOT NULL,
	`end_at` integer NOT NULL,
	`block_start` integer NOT NULL,
	`block_end` integer NOT NULL,
	`status` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`ended_at` integer,
	FOREIGN KEY (`provider_id`) REFERENCES `providers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reservations_active_slot` ON `reservations` (`provider_id`,`start_at`) WHERE status = 'active';--> statement-breakpoint
CREATE INDEX `reservations_provider_block` ON `reservations` (`provider_id`,`block_start`);--> statement-breakpoint
CREATE INDEX `reservations_status_expires` ON `reservations` (`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `services` (
	`id` text PRIMARY KEY NOT NULL,
	`provider_id` text NOT NULL,
	`title` text NOT NULL,
	`duration_minutes` integer NOT NULL,
	`buffer_before_minutes` integer DEFAULT 0 NOT NULL,
	`buffer_after_minutes` integer DEFAULT 0 NOT NULL,
	`slot_step_minutes` integer NOT NULL,
	`min_notice_minutes` integer DEFAULT 0 NOT NULL,
	`max_advance_days` integer DEFAULT 365 NOT NULL,
	`price_cents` integer NOT NULL,
	`currency` text DEFAULT 'USD' NOT NULL,
	`requires_approval` integer DEFAULT false NOT NULL,
	`cancel_free_until_hours_before` integer,
	`cancel_fee_cents` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`provider_id`) REFERENCES `providers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `services_provider` ON `services` (`provider_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`email` text NOT NULL,
	`phone` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhook_signatures` (
	`signature` text PRIMARY KEY NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `working_hours` (
	`id` text PRIMARY KEY NOT NULL,
	`provider_id` text NOT NULL,
	`weekday` integer NOT NULL,
	`start_minute` integer NOT NULL,
	`end_minute` integer NOT NULL,
	FOREIGN KEY (`provider_id`) REFERENCES `providers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `working_hours_provider` ON `working_hours` (`provider_id`,`weekday`);