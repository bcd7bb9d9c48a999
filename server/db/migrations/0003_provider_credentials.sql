CREATE TABLE `provider_credentials` (
	`provider_id` text PRIMARY KEY NOT NULL,
	`caldav_username` text,
	`caldav_password` text,
	`caldav_token` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`provider_id`) REFERENCES `providers`(`id`) ON UPDATE no action ON DELETE no action
);
