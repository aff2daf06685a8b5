-- Schema v5: conversations.post_epoch (docs/schema.md). Raised, in the same transaction, by every
-- change that takes a right to post away (unfriend, block, leaving or removal from a group): the
-- message writer checks it under the conversation's row lock instead of re-reading friendships,
-- memberships and blocks for every message it stores.

ALTER TABLE conversations ADD COLUMN post_epoch BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER max_seq;
