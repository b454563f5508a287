#!/usr/bin/env python3
"""Bug zoo 31, FIXED: one order row per idempotency key.

  create-order --amount N --idempotency-key K

The orders table has a unique idempotency key: INSERT ... ON CONFLICT DO
NOTHING claims the key once, and the row is read before acting. A paid row
answers a replay (noop); the key with another amount is refused; a pending
row (a run that lost its answer, or was killed) is finished by charging again
with the same key, which payments answers from its key store.
"""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from zoo_tool import out, order_args, call, charged, replayed, exit_if_refused  # noqa: E402

args = order_args()
db = sqlite3.connect(os.environ["ORDERS_DB"], timeout=10, isolation_level=None)
db.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, idem_key TEXT UNIQUE, amount INTEGER NOT NULL, status TEXT NOT NULL, charge_id TEXT)")

db.execute("INSERT INTO orders (idem_key, amount, status) VALUES (?, ?, 'pending') ON CONFLICT (idem_key) DO NOTHING",
           (args.idempotency_key, args.amount))
order, amount, state, charge_id = db.execute("SELECT id, amount, status, charge_id FROM orders WHERE idem_key = ?",
                                             (args.idempotency_key,)).fetchone()
if amount != args.amount:
    out(3, effect="none", error="the key was used with another amount")
if state == "paid":
    out(0, effect="noop", id=charge_id)

status, headers, body = call("POST", "/charges", {"amount": args.amount}, {"Idempotency-Key": args.idempotency_key})
if charged(status, body):
    db.execute("UPDATE orders SET status = 'paid', charge_id = ? WHERE id = ?", (body["id"], order))
    out(0, effect="noop" if replayed(headers) else "created", id=body["id"])
exit_if_refused(status)
out(75, effect="unknown", error=f"no answer from payments ({status}): the charge may or may not have gone through")
