#!/usr/bin/env python3
"""Bug zoo 18, FIXED: an answer that may hide a commit is reported as unknown.

  create-order --amount N --idempotency-key K

One request to payments, which deduplicates by key. A 5xx, a timeout or a
dropped answer may come after payments charged: the tool reports the outcome
as unknown (exit 75), never as "nothing happened".
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from zoo_tool import out, order_args, call, charged, replayed, exit_if_refused  # noqa: E402


args = order_args()

status, headers, body = call("POST", "/charges", {"amount": args.amount}, {"Idempotency-Key": args.idempotency_key})
if charged(status, body):
    out(0, effect="noop" if replayed(headers) else "created", id=body["id"])
exit_if_refused(status)
out(75, effect="unknown", error=f"{status or 'no answer'}: the charge may or may not have gone through")
