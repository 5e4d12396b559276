ALTER TABLE changes DROP COLUMN changed_fields;
