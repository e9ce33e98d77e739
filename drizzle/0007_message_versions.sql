ALTER TABLE `conversations` ADD `last_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `messages` ADD `version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `messages_conversation_version_idx` ON `messages` (`conversation_id`,`version`);