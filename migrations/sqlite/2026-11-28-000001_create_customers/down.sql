DROP TABLE api_keys;
DROP TABLE suppressions;
DROP TABLE customers;
