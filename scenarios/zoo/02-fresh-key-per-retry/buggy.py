#!/usr/bin/env python3
"""Bug zoo 02, BUGGY: a fresh "random" key on every retry.

  create-order --amount N --idempotency-key K

It retries a lost or failed answer itself (3 attempts, backing off), but it
takes a failed attempt's key as spent and makes a new one for each retry
(unique per process and attempt, like a uuid4): a retry of a charge that did
go through is a new charge. The fix (fixed.py): keep the key.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from zoo_tool import out, order_args, call, replayed  # noqa: E402

_fresh = 0


def fresh_key():
    """A new key, different on every call: the pid and a counter (deterministic, like a seeded uuid4)."""
    global _fresh
    _fresh += 1
    return f"rnd-{os.getpid()}-{_fresh}"


def charge(amount, key):
    """(status, headers, body) from payments; status None when no answer came."""
    return call("POST", "/charges", {"amount": amount}, {"Idempotency-Key": key})


args = order_args()

key = args.idempotency_key
for attempt in range(1, 4):
    if attempt > 1:
        time.sleep(0.1 * 3 ** (attempt - 2))
        key = fresh_key()
    status, headers, body = charge(args.amount, key)
    if status is not None and 200 <= status < 300 and isinstance(body, dict) and body.get("id"):
        out(0, effect="noop" if replayed(headers) and attempt == 1 else "created", id=body["id"])
    if status == 422:
        out(3, effect="none", error="the key was used with another amount")
    if status is not None and 400 <= status < 500 and status != 409:
        out(1, effect="none", error=f"refused: HTTP {status}")
out(75, effect="unknown", error=f"gave up after 3 attempts (last: {status or 'no answer'})")
