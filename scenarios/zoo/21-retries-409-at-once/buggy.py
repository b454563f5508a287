#!/usr/bin/env python3
"""Bug zoo 21, BUGGY: asks again at once about a key in flight.

  create-order --amount N --idempotency-key K

The tool retries a charge itself (one key, up to 24 attempts within 2 s)
after no answer, a 5xx, a 429 or a 409 ("a request with this key is still
being processed", the IETF idempotency-key draft). Before a retry it waits: as
long as Retry-After says, else a backoff from 100 ms, doubling; but after a
409 it asks again at once, so a key in flight gets two dozen requests in a few
milliseconds. The fix (fixed.py): wait after a 409 too.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from zoo_tool import out, order_args, call, charged, replayed  # noqa: E402

ATTEMPTS = 24
BUDGET_S = 2.0


def wait(headers, attempt):
    """Seconds to wait before retry number `attempt`: Retry-After, else the backoff."""
    retry_after = headers.get("Retry-After", "")
    return int(retry_after) if retry_after.isdigit() else 0.1 * 2 ** (attempt - 1)


args = order_args()
deadline = time.monotonic() + BUDGET_S
status = None
for attempt in range(1, ATTEMPTS + 1):
    status, headers, body = call("POST", "/charges", {"amount": args.amount}, {"Idempotency-Key": args.idempotency_key})
    if charged(status, body):
        out(0, effect="noop" if replayed(headers) and attempt == 1 else "created", id=body["id"])
    if status == 422:
        out(3, effect="none", error="the key was used with another amount")
    if status is not None and 400 <= status < 500 and status not in (409, 429):
        out(1, effect="none", error=f"refused: HTTP {status}")
    if status == 409:
        continue  # still in flight: ask again
    if time.monotonic() + wait(headers, attempt) > deadline:
        break
    time.sleep(wait(headers, attempt))
if status == 409:
    out(4, effect="unknown", error="the key is still in flight; try again later")
out(75, effect="unknown", error=f"gave up after {attempt} attempts (last: {status or 'no answer'})")
