ALTER TABLE `messages` ADD `bot` text;--> statement-breakpoint
CREATE INDEX `messages_conversation_sender_created_idx` ON `messages` (`conversation_id`,`sender_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `webhooks` ADD `include_bot_messages` integer DEFAULT false NOT NULL;