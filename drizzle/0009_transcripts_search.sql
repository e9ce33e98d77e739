-- Custom SQL migration file, put your code below! --
-- Full-text index over voice message transcripts, like messages_fts (0004): external content, trigram tokens.
CREATE VIRTUAL TABLE `message_transcripts_fts` USING fts5(text, content='message_transcripts', content_rowid='rowid', tokenize='trigram');
--> statement-breakpoint
CREATE TRIGGER `message_transcripts_fts_insert` AFTER INSERT ON `message_transcripts` BEGIN
  INSERT INTO message_transcripts_fts(rowid, text) VALUES (new.rowid, new.text);
END;
--> statement-breakpoint
CREATE TRIGGER `message_transcripts_fts_update` AFTER UPDATE OF text ON `message_transcripts` BEGIN
  INSERT INTO message_transcripts_fts(message_transcripts_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
  INSERT INTO message_transcripts_fts(rowid, text) VALUES (new.rowid, new.text);
END;
--> statement-breakpoint
CREATE TRIGGER `message_transcripts_fts_delete` AFTER DELETE ON `message_transcripts` BEGIN
  INSERT INTO message_transcripts_fts(message_transcripts_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
