#!/usr/bin/env python3
"""Bug zoo 04, FIXED: the upstream key is the caller's key.

  create-order --amount N --idempotency-key K

One request to payments, which deduplicates by key: a retry or a replay with
the caller's key is answered from payments' key store and reported as noop.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from zoo_tool import out, order_args, call, charged, replayed, exit_if_refused  # noqa: E402


args = order_args()

key = args.idempotency_key
status, headers, body = call("POST", "/charges", {"amount": args.amount}, {"Idempotency-Key": key})
if charged(status, body):
    out(0, effect="noop" if replayed(headers) else "created", id=body["id"])
exit_if_refused(status)
out(75, effect="unknown", error=f"{status or 'no answer'}: the charge may or may not have gone through")
