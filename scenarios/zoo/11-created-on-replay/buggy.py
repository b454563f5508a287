#!/usr/bin/env python3
"""Bug zoo 11, BUGGY: reports `created` on a replay.

  create-order --amount N --idempotency-key K

One request to payments, which deduplicates by key: a retry or a replay with
the caller's key is answered from payments' key store, marked
`Idempotent-Replayed: true`; but the tool ignores the mark and reports every
success as created, so its caller cannot tell a replay from a new charge.
The fix (fixed.py): report a replayed answer as noop.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from zoo_tool import out, order_args, call, charged, exit_if_refused  # noqa: E402


args = order_args()

status, headers, body = call("POST", "/charges", {"amount": args.amount}, {"Idempotency-Key": args.idempotency_key})
if charged(status, body):
    out(0, effect="created", id=body["id"])
exit_if_refused(status)
out(75, effect="unknown", error=f"{status or 'no answer'}: the charge may or may not have gone through")
