#!/usr/bin/env python3
"""Bug zoo 18, BUGGY: reports a failure that may have committed as "none".

  create-order --amount N --idempotency-key K

One request to payments, which deduplicates by key. A 5xx, a timeout or a
dropped answer may come after payments charged, but the tool reports them as
effect "none" (nothing happened), exit 1: a lie whenever the charge went
through. The fix (fixed.py): report such an outcome as unknown (exit 75).
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
out(1, effect="none", error=f"{status or 'no answer'}: the charge failed")
