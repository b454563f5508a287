#!/usr/bin/env python3
"""Bug zoo 29, BUGGY: makes a new idempotency key on every attempt of its own.

  create-order --amount N

The tool is not handed the caller's key: it makes one of its own and sends it
upstream, retrying itself (at most 3 attempts, after no answer or a 5xx, 0.1 s
then 0.2 s apart). But it makes the key inside its retry loop, so each attempt
has a new one, and a retry after a charge whose answer was lost charges again.
The fix (fixed.py): make the key once per run, before the loop. (Issue 13,
class 10: key-stable-across-retries is about a target's own retries; this is
what it exists to catch.)
"""
import argparse
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from zoo_tool import out, call, charged, replayed  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("command", choices=["create-order"])
parser.add_argument("--amount", type=int, required=True)
args = parser.parse_args()

status = None
for attempt in range(1, 4):
    if attempt > 1:
        time.sleep(0.1 * 2 ** (attempt - 2))
    key = f"order-{uuid.uuid4()}"  # BUG: a new key for every attempt
    status, headers, body = call("POST", "/charges", {"amount": args.amount}, {"Idempotency-Key": key})
    if charged(status, body):
        out(0, effect="noop" if replayed(headers) and attempt == 1 else "created", id=body["id"])
    if status == 422:
        out(3, effect="none", error="the key was used with another amount")
    if status is not None and 400 <= status < 500 and status not in (409, 429):
        out(1, effect="none", error=f"refused: HTTP {status}")
out(75, effect="unknown", error=f"gave up after 3 attempts (last: {status or 'no answer'})")
