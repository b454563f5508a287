#!/usr/bin/env python3
"""Bug zoo 31, BUGGY: the order row is inserted again on every run.

  create-order --amount N --idempotency-key K

It stores the order in its own SQLite database (ORDERS_DB), then charges
payments with the caller's key. Payments deduplicates, so the charge is never
doubled; but the order row is inserted before the charge on every run, so a
retry after a lost answer, a replay and a concurrent duplicate each leave one
more order in the table. The harness sees it only through the state probe
(`state:` in the scenario). The fix (fixed.py): a unique idempotency key
column and INSERT ... ON CONFLICT DO NOTHING, and a look at the row before acting.
"""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from zoo_tool import out, order_args, call, charged, replayed, exit_if_refused  # noqa: E402

args = order_args()
db = sqlite3.connect(os.environ["ORDERS_DB"], timeout=10, isolation_level=None)
db.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, idem_key TEXT, amount INTEGER NOT NULL, status TEXT NOT NULL, charge_id TEXT)")

order = db.execute("INSERT INTO orders (idem_key, amount, status) VALUES (?, ?, 'pending')",
                   (args.idempotency_key, args.amount)).lastrowid

status, headers, body = call("POST", "/charges", {"amount": args.amount}, {"Idempotency-Key": args.idempotency_key})
if charged(status, body):
    db.execute("UPDATE orders SET status = 'paid', charge_id = ? WHERE id = ?", (body["id"], order))
    out(0, effect="noop" if replayed(headers) else "created", id=body["id"])
exit_if_refused(status)
out(75, effect="unknown", error=f"no answer from payments ({status}): the charge may or may not have gone through")
