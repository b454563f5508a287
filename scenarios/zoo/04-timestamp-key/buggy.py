#!/usr/bin/env python3
"""Bug zoo 04, BUGGY: a key derived from a timestamp.

  create-order --amount N --idempotency-key K

One request to payments, which deduplicates by key; but the key is made from
the clock (order-<ns since the epoch>), so every retry, replay or concurrent
run has its own key and charges again. The fix (fixed.py): use the caller's key.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from zoo_tool import out, order_args, call, charged, replayed, exit_if_refused  # noqa: E402


args = order_args()

key = f"order-{time.time_ns()}"
status, headers, body = call("POST", "/charges", {"amount": args.amount}, {"Idempotency-Key": key})
if charged(status, body):
    out(0, effect="noop" if replayed(headers) else "created", id=body["id"])
exit_if_refused(status)
out(75, effect="unknown", error=f"{status or 'no answer'}: the charge may or may not have gone through")
