ALTER TABLE `providers` ADD `retired_at` integer;--> statement-breakpoint
ALTER TABLE `services` ADD `retired_at` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (lower("email"));