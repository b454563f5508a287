#!/usr/bin/env python3
"""Bug zoo 09, FIXED: waits as long as Retry-After says.

  create-order --amount N --idempotency-key K

The tool retries a charge itself (2 attempts, one key) after no answer, a 5xx
or a 429, backing off; when the answer carries Retry-After, it waits that long.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from zoo_tool import out, order_args, call, give_up  # noqa: E402


def charge(amount, key):
    """(status, headers, body); status None when no answer came."""
    return call("POST", "/charges", {"amount": amount}, {"Idempotency-Key": key})


args = order_args()

delay = 0.05
statuses = []
for attempt in range(1, 3):
    if attempt > 1:
        time.sleep(delay)
    status, headers, body = charge(args.amount, args.idempotency_key)
    statuses.append(status)
    if status is not None and 200 <= status < 300 and isinstance(body, dict) and body.get("id"):
        replayed = headers.get("Idempotent-Replayed") == "true" and attempt == 1
        out(0, effect="noop" if replayed else "created", id=body["id"])
    if status == 422:
        out(3, effect="none", error="the key was used with another amount")
    if status is not None and 400 <= status < 500 and status not in (409, 429):
        out(1, effect="none", error=f"refused: HTTP {status}")
    delay = 0.05 * 2 ** attempt
    if headers.get("Retry-After", "").isdigit():
        delay = max(delay, int(headers["Retry-After"]))
give_up(2, statuses)
