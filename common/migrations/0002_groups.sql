-- Groups (docs/schema.md). conversation_members becomes the one membership table: it gains the group
-- role and the seq a member left at; group_members, which duplicated it, is folded in and dropped.
-- The owner is the member whose role is 'owner', so chat_groups.owner_uid goes too.
-- Plain ALTERs (no MariaDB-only IF NOT EXISTS) keep this runnable on MySQL; one ALTER per table.

ALTER TABLE conversation_members
  ADD COLUMN role ENUM('owner','admin','member') NULL AFTER user_id,
  ADD COLUMN left_seq BIGINT UNSIGNED NULL AFTER joined_seq;

UPDATE conversation_members cm
  JOIN chat_groups g ON g.conversation_id = cm.conversation_id
  JOIN group_members gm ON gm.group_id = g.id AND gm.user_id = cm.user_id
   SET cm.role = gm.role;

INSERT INTO conversation_members (conversation_id, user_id, role, joined_at)
  SELECT g.conversation_id, gm.user_id, gm.role, gm.joined_at
    FROM group_members gm
    JOIN chat_groups g ON g.id = gm.group_id
    LEFT JOIN conversation_members cm ON cm.conversation_id = g.conversation_id AND cm.user_id = gm.user_id
   WHERE cm.user_id IS NULL;

DROP TABLE group_members;

ALTER TABLE chat_groups
  DROP FOREIGN KEY fk_cg_owner,
  DROP COLUMN owner_uid,
  ADD COLUMN avatar VARCHAR(512) NOT NULL DEFAULT '' AFTER name,
  ADD COLUMN approval_required TINYINT(1) NOT NULL DEFAULT 0 AFTER avatar,
  ADD COLUMN dissolved_at DATETIME(3) NULL;

CREATE TABLE group_invites (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  group_id    BIGINT UNSIGNED NOT NULL,
  invitee_uid BIGINT UNSIGNED NOT NULL,
  inviter_uid BIGINT UNSIGNED NOT NULL,
  status      ENUM('pending','approved','declined') NOT NULL DEFAULT 'pending',
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_group_invites_pair (group_id, invitee_uid),
  CONSTRAINT fk_gi_group FOREIGN KEY (group_id) REFERENCES chat_groups (id),
  CONSTRAINT fk_gi_invitee FOREIGN KEY (invitee_uid) REFERENCES users (id),
  CONSTRAINT fk_gi_inviter FOREIGN KEY (inviter_uid) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
