-- Only inactive customers are indexed by activity: they are the few a console or an
-- `?active=false` page looks for, while `?active=true` (nearly every row) reads the primary
-- key in order and skips the rest. The old index held an entry for every customer and cost
-- every insert a second B-tree write. Queries say `NOT is_active` literally, the form the
-- planner needs to match this index's condition (a bound `is_active = $1` would not).
DROP INDEX customers_by_active;
CREATE INDEX customers_inactive ON customers (code) WHERE NOT is_active;
