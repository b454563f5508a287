#!/usr/bin/env python3
"""Bug zoo 25, FIXED: a 422 from payments (the key used with another amount) is a refusal.

  create-order --amount N --idempotency-key K

The tool charges payments once with the caller's key; payments deduplicates:
a retry gets the first charge back (`Idempotent-Replayed: true`), the key with
another amount gets 422. It exits 0 with the charge, 3 on that 422 (the key
was used with another amount), 4 on a 409, 1 on another refusal and 75 when
it cannot tell. (Issue 13, class 6: a crash fault that killed it right after
payments refused the mismatch, before the 422 reached it, was blamed for
giving no answer instead of refusing.)
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
out(75, effect="unknown", error=f"payments: {status or 'no answer'}; the charge may or may not have gone through")
