-- Batches recorded to follow the one in flight (`batch_id`, `batch_end`), in the order they
-- are sent: a JSON array of [message id, cursor of the batch's last change] pairs; NULL when
-- none. A deliverer records several batches in one write and moves the cursor past those the
-- receiver took in its next write; after a crash the next holder sends them again under the
-- same message ids.
ALTER TABLE webhooks ADD COLUMN queued TEXT;
