-- Schema v4: blocked users (docs/schema.md). A row means blocker_uid blocked blocked_uid.

CREATE TABLE IF NOT EXISTS blocks (
  blocker_uid BIGINT UNSIGNED NOT NULL,
  blocked_uid BIGINT UNSIGNED NOT NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (blocker_uid, blocked_uid),
  KEY ix_blocks_blocked (blocked_uid),
  CONSTRAINT fk_blocks_blocker FOREIGN KEY (blocker_uid) REFERENCES users (id),
  CONSTRAINT fk_blocks_blocked FOREIGN KEY (blocked_uid) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
