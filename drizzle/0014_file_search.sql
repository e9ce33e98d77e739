-- Custom SQL migration file, put your code below! --
-- File names searchable like messages (0004): an external-content FTS5 index over files.name, keyed by the implicit rowid,
-- trigram tokens for substrings and CJK names. Access is decided at query time (owner, or a member where the file is attached).
CREATE VIRTUAL TABLE `files_fts` USING fts5(name, content='files', content_rowid='rowid', tokenize='trigram');
--> statement-breakpoint
CREATE TRIGGER `files_fts_insert` AFTER INSERT ON `files` BEGIN
  INSERT INTO files_fts(rowid, name) VALUES (new.rowid, new.name);
END;
--> statement-breakpoint
CREATE TRIGGER `files_fts_update` AFTER UPDATE OF name ON `files` BEGIN
  INSERT INTO files_fts(files_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
  INSERT INTO files_fts(rowid, name) VALUES (new.rowid, new.name);
END;
--> statement-breakpoint
CREATE TRIGGER `files_fts_delete` AFTER DELETE ON `files` BEGIN
  INSERT INTO files_fts(files_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
END;
--> statement-breakpoint
INSERT INTO files_fts(files_fts) VALUES ('rebuild');
