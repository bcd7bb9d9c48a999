CREATE TABLE `change_marks` (
	`key` text PRIMARY KEY NOT NULL,
	`mark` integer NOT NULL
);
--> statement-breakpoint
-- Every write to an appointment gives its customer's mark a new random value (both
-- customers' when an appointment changes hands); every write to the catalog, the
-- `catalog` mark. The user list's ETag is derived from these, read before the list.
CREATE TRIGGER `appointments_mark_insert` AFTER INSERT ON `appointments`
BEGIN
  INSERT INTO `change_marks` (`key`, `mark`) VALUES ('user:' || NEW.`user_id`, abs(random() % 9007199254740991))
    ON CONFLICT (`key`) DO UPDATE SET `mark` = abs(random() % 9007199254740991);
END;
--> statement-breakpoint
CREATE TRIGGER `appointments_mark_update` AFTER UPDATE ON `appointments`
BEGIN
  INSERT INTO `change_marks` (`key`, `mark`) VALUES ('user:' || NEW.`user_id`, abs(random() % 9007199254740991))
    ON CONFLICT (`key`) DO UPDATE SET `mark` = abs(random() % 9007199254740991);
  INSERT INTO `change_marks` (`key`, `mark`) SELECT 'user:' || OLD.`user_id`, abs(random() % 9007199254740991)
    WHERE OLD.`user_id` <> NEW.`user_id`
    ON CONFLICT (`key`) DO UPDATE SET `mark` = abs(random() % 9007199254740991);
END;
--> statement-breakpoint
CREATE TRIGGER `appointments_mark_delete` AFTER DELETE ON `appointments`
BEGIN
  INSERT INTO `change_marks` (`key`, `mark`) VALUES ('user:' || OLD.`user_id`, abs(random() % 9007199254740991))
    ON CONFLICT (`key`) DO UPDATE SET `mark` = abs(random() % 9007199254740991);
END;
--> statement-breakpoint
CREATE TRIGGER `providers_mark_insert` AFTER INSERT ON `providers`
BEGIN
  INSERT INTO `change_marks` (`key`, `mark`) VALUES ('catalog', abs(random() % 9007199254740991)) ON CONFLICT (`key`) DO UPDATE SET `mark` = abs(random() % 9007199254740991);
END;
--> statement-breakpoint
CREATE TRIGGER `providers_mark_update` AFTER UPDATE ON `providers`
BEGIN
  INSERT INTO `change_marks` (`key`, `mark`) VALUES ('catalog', abs(random() % 9007199254740991)) ON CONFLICT (`key`) DO UPDATE SET `mark` = abs(random() % 9007199254740991);
END;
--> statement-breakpoint
CREATE TRIGGER `providers_mark_delete` AFTER DELETE ON `providers`
BEGIN
  INSERT INTO `change_marks` (`key`, `mark`) VALUES ('catalog', abs(random() % 9007199254740991)) ON CONFLICT (`key`) DO UPDATE SET `mark` = abs(random() % 9007199254740991);
END;
--> statement-breakpoint
CREATE TRIGGER `services_mark_insert` AFTER INSERT ON `services`
BEGIN
  INSERT INTO `change_marks` (`key`, `mark`) VALUES ('catalog', abs(random() % 9007199254740991)) ON CONFLICT (`key`) DO UPDATE SET `mark` = abs(random() % 9007199254740991);
END;
--> statement-breakpoint
CREATE TRIGGER `services_mark_update` AFTER UPDATE ON `services`
BEGIN
  INSERT INTO `change_marks` (`key`, `mark`) VALUES ('catalog', abs(random() % 9007199254740991)) ON CONFLICT (`key`) DO UPDATE SET `mark` = abs(random() % 9007199254740991);
END;
--> statement-breakpoint
CREATE TRIGGER `services_mark_delete` AFTER DELETE ON `services`
BEGIN
  INSERT INTO `change_marks` (`key`, `mark`) VALUES ('catalog', abs(random() % 9007199254740991)) ON CONFLICT (`key`) DO UPDATE SET `mark` = abs(random() % 9007199254740991);
END;
