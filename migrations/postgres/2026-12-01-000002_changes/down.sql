DROP TABLE changes_horizon;
DROP TABLE changes;
