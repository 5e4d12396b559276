CREATE INDEX changes_by_at ON changes (at);
