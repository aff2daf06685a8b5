-- File transfer (docs/schema.md, docs/file-server.md). `files` gains what the file server needs: the
-- conversation an upload was for, its mime type, whether anyone may read it (avatars), and an index
-- to find stored content by (sha256, size) for uploads that need no bytes. messages.file_id already
-- references files; its foreign key's index serves "who may read this file".
-- Plain ALTER (no MariaDB-only IF NOT EXISTS) keeps this runnable on MySQL; one ALTER per table.

ALTER TABLE files
  ADD COLUMN conversation_id BIGINT UNSIGNED NULL AFTER owner_uid,
  ADD COLUMN mime VARCHAR(127) NOT NULL DEFAULT 'application/octet-stream' AFTER name,
  ADD COLUMN is_public TINYINT(1) NOT NULL DEFAULT 0 AFTER state,
  ADD KEY ix_files_content (sha256, size),
  ADD CONSTRAINT fk_files_conversation FOREIGN KEY (conversation_id) REFERENCES conversations (id);
