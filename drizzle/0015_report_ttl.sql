ALTER TABLE `conversation_exports` ADD `expires_at` integer;--> statement-breakpoint
CREATE INDEX `conversation_exports_expires_idx` ON `conversation_exports` (`expires_at`);--> statement-breakpoint
-- Exports finished before this migration expire by the default REPORT_TTL_HOURS (72 h) after completing.
UPDATE `conversation_exports` SET `expires_at` = `completed_at` + 259200000 WHERE `completed_at` IS NOT NULL AND `expires_at` IS NULL;--> statement-breakpoint
UPDATE `files` SET `expires_at` = (SELECT `expires_at` FROM `conversation_exports` WHERE `conversation_exports`.`id` = `files`.`id`) WHERE `id` IN (SELECT `id` FROM `conversation_exports` WHERE `file_id` IS NOT NULL);