-- Retention removes the oldest rows of the feed in feed order (the primary key), up to the
-- first one to keep, so `at` needs no index: every feed row paid for one on every write.
DROP INDEX changes_by_at;
