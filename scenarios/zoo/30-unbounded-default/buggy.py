#!/usr/bin/env python3
"""Bug zoo 30, BUGGY: retries without bound.

  create-order --amount N --idempotency-key K

The tool retries a charge itself (one key) after no answer, a 5xx or a 429,
with an exponential back-off (0.05 s, doubling, at most 0.4 s) and never
sooner than Retry-After says; but it never gives up: against a payments
service that stays down it loops until something kills it. The fix
(fixed.py): 6 attempts in all, as popular HTTP client libraries do by
default. (Issue 13, class 11: with no limit in the scenario, retry-policy
takes "bounded" to mean at most 10 requests in a row without success.)
"""
import itertools
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from zoo_tool import out, order_args, call, charged, replayed, exit_if_refused, give_up  # noqa: E402

ATTEMPTS = float("inf")  # BUG: no bound: it retries until it succeeds
BACKOFF_S = 0.05
BACKOFF_MAX_S = 0.4


def wait(headers, attempt):
    """Seconds to wait after attempt number `attempt`: the back-off, or Retry-After if that is longer."""
    backoff = min(BACKOFF_S * 2 ** (attempt - 1), BACKOFF_MAX_S)
    retry_after = headers.get("Retry-After", "")
    return max(backoff, int(retry_after)) if retry_after.isdigit() else backoff


args = order_args()
statuses = []
for attempt in itertools.count(1):
    status, headers, body = call("POST", "/charges", {"amount": args.amount}, {"Idempotency-Key": args.idempotency_key})
    statuses.append(status)
    if charged(status, body):
        out(0, effect="noop" if replayed(headers) and attempt == 1 else "created", id=body["id"])
    exit_if_refused(status)
    if attempt >= ATTEMPTS:
        break
    time.sleep(wait(headers, attempt))
give_up(attempt, statuses)
