-- Schema v6: which messages carry which file, in a table of its own (docs/schema.md). The index on
-- messages.file_id (which its foreign key required) cost MariaDB about a quarter more per stored
-- message, for every message, although only file and image messages have a file; download
-- authorization looks files up here instead. messages.file_id stays, unindexed, as the message's
-- own record. Plain SQL for MySQL and MySQL-protocol databases too; a run cut short before the last
-- statement can simply run again (IF NOT EXISTS, INSERT IGNORE), and that ALTER is one statement.

CREATE TABLE IF NOT EXISTS message_files (
  file_id         BIGINT UNSIGNED NOT NULL,
  conversation_id BIGINT UNSIGNED NOT NULL,
  seq             BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (file_id, conversation_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT IGNORE INTO message_files (file_id, conversation_id, seq)
  SELECT file_id, conversation_id, seq FROM messages WHERE file_id IS NOT NULL;

ALTER TABLE messages DROP FOREIGN KEY fk_messages_file, DROP INDEX fk_messages_file;
