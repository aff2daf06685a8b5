-- Schema v1. docs/schema.md explains every table. IF NOT EXISTS keeps a half-applied run re-runnable.

CREATE TABLE IF NOT EXISTS users (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name          VARCHAR(32)  NOT NULL,
  email         VARCHAR(254) NOT NULL,
  password_hash VARCHAR(255) NOT NULL,
  nickname      VARCHAR(64)  NOT NULL DEFAULT '',
  avatar        VARCHAR(512) NOT NULL DEFAULT '',
  created_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_users_name (name),
  UNIQUE KEY uk_users_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS conversations (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  kind       ENUM('direct','group') NOT NULL,
  direct_key VARCHAR(48) NULL,
  max_seq    BIGINT UNSIGNED NOT NULL DEFAULT 0,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_conversations_direct (direct_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS conversation_members (
  conversation_id BIGINT UNSIGNED NOT NULL,
  user_id         BIGINT UNSIGNED NOT NULL,
  acked_seq       BIGINT UNSIGNED NOT NULL DEFAULT 0,
  joined_seq      BIGINT UNSIGNED NOT NULL DEFAULT 0,
  joined_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (conversation_id, user_id),
  KEY ix_conversation_members_user (user_id),
  CONSTRAINT fk_cm_conversation FOREIGN KEY (conversation_id) REFERENCES conversations (id),
  CONSTRAINT fk_cm_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS friendships (
  user_id         BIGINT UNSIGNED NOT NULL,
  friend_id       BIGINT UNSIGNED NOT NULL,
  conversation_id BIGINT UNSIGNED NOT NULL,
  created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id, friend_id),
  KEY ix_friendships_friend (friend_id),
  CONSTRAINT fk_fs_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_fs_friend FOREIGN KEY (friend_id) REFERENCES users (id),
  CONSTRAINT fk_fs_conversation FOREIGN KEY (conversation_id) REFERENCES conversations (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS friend_requests (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  from_uid   BIGINT UNSIGNED NOT NULL,
  to_uid     BIGINT UNSIGNED NOT NULL,
  note       VARCHAR(200) NOT NULL DEFAULT '',
  status     ENUM('pending','accepted','declined') NOT NULL DEFAULT 'pending',
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_friend_requests_pair (from_uid, to_uid),
  KEY ix_friend_requests_to (to_uid, status),
  CONSTRAINT fk_fr_from FOREIGN KEY (from_uid) REFERENCES users (id),
  CONSTRAINT fk_fr_to FOREIGN KEY (to_uid) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS chat_groups (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name            VARCHAR(64) NOT NULL,
  owner_uid       BIGINT UNSIGNED NOT NULL,
  conversation_id BIGINT UNSIGNED NOT NULL,
  created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_chat_groups_conversation (conversation_id),
  CONSTRAINT fk_cg_owner FOREIGN KEY (owner_uid) REFERENCES users (id),
  CONSTRAINT fk_cg_conversation FOREIGN KEY (conversation_id) REFERENCES conversations (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS group_members (
  group_id  BIGINT UNSIGNED NOT NULL,
  user_id   BIGINT UNSIGNED NOT NULL,
  role      ENUM('owner','admin','member') NOT NULL DEFAULT 'member',
  joined_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (group_id, user_id),
  KEY ix_group_members_user (user_id),
  CONSTRAINT fk_gm_group FOREIGN KEY (group_id) REFERENCES chat_groups (id),
  CONSTRAINT fk_gm_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS files (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  owner_uid    BIGINT UNSIGNED NOT NULL,
  name         VARCHAR(255) NOT NULL,
  size         BIGINT UNSIGNED NOT NULL,
  sha256       CHAR(64) NOT NULL,
  stored_bytes BIGINT UNSIGNED NOT NULL DEFAULT 0,
  state        ENUM('uploading','complete','failed') NOT NULL DEFAULT 'uploading',
  created_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY ix_files_owner (owner_uid),
  CONSTRAINT fk_files_owner FOREIGN KEY (owner_uid) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS messages (
  conversation_id BIGINT UNSIGNED NOT NULL,
  seq             BIGINT UNSIGNED NOT NULL,
  sender_uid      BIGINT UNSIGNED NOT NULL,
  client_msg_id   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  type            ENUM('text','image','file','system') NOT NULL DEFAULT 'text',
  body            TEXT NOT NULL,
  file_id         BIGINT UNSIGNED NULL,
  created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (conversation_id, seq),
  UNIQUE KEY uk_messages_client (sender_uid, client_msg_id),
  CONSTRAINT fk_messages_conversation FOREIGN KEY (conversation_id) REFERENCES conversations (id),
  CONSTRAINT fk_messages_file FOREIGN KEY (file_id) REFERENCES files (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
