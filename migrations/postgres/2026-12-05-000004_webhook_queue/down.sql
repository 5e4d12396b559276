ALTER TABLE webhooks DROP COLUMN queued;
