DROP INDEX `appointments_user_start`;--> statement-breakpoint
CREATE INDEX `appointments_user_start` ON `appointments` (`user_id`,`start_at`,`id`);