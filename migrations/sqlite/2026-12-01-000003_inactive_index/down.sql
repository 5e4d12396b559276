DROP INDEX customers_inactive;
CREATE INDEX customers_by_active ON customers (is_active, code);
