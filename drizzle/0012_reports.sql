CREATE TABLE `conversation_exports` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`conversation_id` text NOT NULL,
	`format` text NOT NULL,
	`from_at` integer,
	`to_at` integer,
	`include_threads` integer DEFAULT false NOT NULL,
	`status` text NOT NULL,
	`percent` integer DEFAULT 0 NOT NULL,
	`stage` text DEFAULT 'queued' NOT NULL,
	`message_count` integer DEFAULT 0 NOT NULL,
	`file_id` text,
	`error` text,
	`created_at` integer NOT NULL,
	`completed_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `conversation_exports_user_idx` ON `conversation_exports` (`user_id`,`created_at`);