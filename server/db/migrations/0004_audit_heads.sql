CREATE TABLE `audit_heads` (
	`subject` text PRIMARY KEY NOT NULL,
	`entries` integer NOT NULL,
	`last_seq` integer NOT NULL,
	`last_hash` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `audit_entries` ADD `client_request_id` text;--> statement-breakpoint
-- Anchor the chains that already exist: their count and last hash as they stand now.
INSERT INTO `audit_heads` (`subject`, `entries`, `last_seq`, `last_hash`)
  SELECT e.`subject`, COUNT(*), MAX(e.`seq`),
    (SELECT h.`hash` FROM `audit_entries` h WHERE h.`subject` = e.`subject` ORDER BY h.`seq` DESC LIMIT 1)
  FROM `audit_entries` e GROUP BY e.`subject`;
--> statement-breakpoint
-- A head only moves forward, one entry at a time, and is never removed.
CREATE TRIGGER `audit_heads_no_delete` BEFORE DELETE ON `audit_heads`
BEGIN
  SELECT RAISE(ABORT, 'audit_heads only move forward');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_heads_forward` BEFORE UPDATE ON `audit_heads`
  WHEN NEW.`subject` <> OLD.`subject` OR NEW.`entries` <> OLD.`entries` + 1 OR NEW.`last_seq` <= OLD.`last_seq`
BEGIN
  SELECT RAISE(ABORT, 'audit_heads only move forward');
END;
