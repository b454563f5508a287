#!/usr/bin/env python3
"""Bug zoo 03, BUGGY: a key computed but not sent upstream.

  create-order --amount N --idempotency-key K

It derives its upstream key from the caller's (order-K) and keeps a state file
per key, under a lock (a concurrent run with the same key backs off, exit 4):
a replay is answered from the file, the key with another amount is refused.
But the derived key never reaches payments (the header is not set), so a
retry after a lost answer charges again. The fix (fixed.py): send the key.
"""
import fcntl
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from zoo_tool import out, order_args, call, replayed  # noqa: E402


def charge(amount, key):
    """(status, headers, body) from payments; status None when no answer came."""
    headers = {}
    return call("POST", "/charges", {"amount": amount}, headers)


args = order_args()

key = f"order-{args.idempotency_key}"
payload = hashlib.sha256(json.dumps({"amount": args.amount}).encode()).hexdigest()
os.makedirs(os.environ["STATE_DIR"], exist_ok=True)
path = os.path.join(os.environ["STATE_DIR"], key + ".json")
lock = open(path + ".lock", "w")
try:
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    out(4, effect="none", error="a run with this key is in flight")
state = json.load(open(path)) if os.path.exists(path) else None
if state and state["payload"] != payload:
    out(3, effect="none", error="the key was used with another amount")
if state:
    out(0, effect="noop", id=state["id"])

status, headers, body = charge(args.amount, key)
if status is not None and 200 <= status < 300 and isinstance(body, dict) and body.get("id"):
    with open(path + ".tmp", "w") as f:
        json.dump({"payload": payload, "id": body["id"]}, f)
    os.replace(path + ".tmp", path)
    out(0, effect="noop" if replayed(headers) else "created", id=body["id"])
if status == 422:
    out(3, effect="none", error="the key was used with another amount")
if status is not None and 400 <= status < 500 and status not in (409, 429):
    out(1, effect="none", error=f"refused: HTTP {status}")
out(75, effect="unknown", error=f"{status or 'no answer'}: the charge may or may not have gone through")
