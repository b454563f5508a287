-- The shop's orders, created once in the template database every case's database is copied from.
CREATE TABLE orders (
  id SERIAL PRIMARY KEY,
  idem_key TEXT,
  amount INTEGER NOT NULL,
  status TEXT NOT NULL,
  charge_id TEXT
);
-- Only the fixed twin relies on it: one order per idempotency key. The buggy one never sets idem_key.
CREATE UNIQUE INDEX orders_idem_key ON orders (idem_key);
