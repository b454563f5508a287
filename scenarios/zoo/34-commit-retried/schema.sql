-- The shop's orders, created once in the template database every case's database is copied from.
-- No unique key: the targets find an order by its key themselves, under a per-key lock.
CREATE TABLE orders (id SERIAL PRIMARY KEY, idem_key TEXT NOT NULL, amount INTEGER NOT NULL, status TEXT NOT NULL, charge_id TEXT);
