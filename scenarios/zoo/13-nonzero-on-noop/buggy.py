#!/usr/bin/env python3
"""Bug zoo 13, BUGGY: exits non-zero on a noop.

  create-order --amount N --idempotency-key K

One request to payments, which deduplicates by key: a retry or a replay with
the caller's key is answered from payments' key store, marked
`Idempotent-Replayed: true`, and the tool reports it as noop, but exits 1
("nothing was done"): its caller takes the replay for a failure and retries
in vain. The fix (fixed.py): a noop is a success, exit 0.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from zoo_tool import out, order_args, call, charged, replayed, exit_if_refused  # noqa: E402


args = order_args()

status, headers, body = call("POST", "/charges", {"amount": args.amount}, {"Idempotency-Key": args.idempotency_key})
if charged(status, body):
    was_replayed = replayed(headers)
    out(1 if was_replayed else 0, effect="noop" if was_replayed else "created", id=body["id"])
exit_if_refused(status)
out(75, effect="unknown", error=f"{status or 'no answer'}: the charge may or may not have gone through")
