-- The fields each upsert of the change feed changed, as a JSON array of names
-- (`["country", "metadata.tier"]`; `[]` for a create with defaults only). Names only, never
-- values: erasing a customer removes its rows, and nothing of its data stays in the feed.
-- NULL for deletes, and for upserts recorded before this column existed (their fields are
-- not known).
ALTER TABLE changes ADD COLUMN changed_fields TEXT;
