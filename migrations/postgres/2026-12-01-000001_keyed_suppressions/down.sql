DROP TABLE suppression_key_check;
-- Keyed rows mean nothing to the previous version (it would not find them): dropped.
DELETE FROM suppressions WHERE kind <> 'sha256';
ALTER TABLE suppressions DROP COLUMN kind;
