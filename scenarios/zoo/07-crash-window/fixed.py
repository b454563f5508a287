#!/usr/bin/env python3
"""Bug zoo 07, FIXED: a pending mark is saved before the charge.

  create-order --amount N --idempotency-key K

Payments does not deduplicate, but it looks charges up by client reference
(GET /charges?ref=K). The tool keeps a state file per key, under a lock (a
concurrent run with the same key backs off, exit 4). It saves "pending" before
it charges; a run that finds "pending" (an earlier one may have charged, then
died or lost the answer) looks the charge up before it charges again.
"""
import fcntl
import hashlib
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import zoo_tool  # noqa: E402
from zoo_tool import out, order_args  # noqa: E402


def call(method, path, body=None):
    """(status, JSON body) from payments; status None when no answer came."""
    status, _, answer = zoo_tool.call(method, path, body)
    return status, answer


def save(path, state):
    with open(path + ".tmp", "w") as f:
        json.dump(state, f)
    os.replace(path + ".tmp", path)


args = order_args()

key = args.idempotency_key
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
if state and state.get("id"):
    out(0, effect="noop", id=state["id"])
if state:  # pending: an earlier run may have charged
    status, found = call("GET", "/charges?" + urllib.parse.urlencode({"ref": key}))
    if status != 200 or not isinstance(found, dict):
        out(75, effect="unknown", error="an earlier run may have charged, and the look-up failed")
    if found["data"]:
        save(path, {"payload": payload, "id": found["data"][0]["id"]})
        out(0, effect="created", id=found["data"][0]["id"])

save(path, {"payload": payload})
status, charge = call("POST", "/charges", {"amount": args.amount, "ref": key})
if status is not None and 200 <= status < 300 and isinstance(charge, dict) and charge.get("id"):
    save(path, {"payload": payload, "id": charge["id"]})
    out(0, effect="created", id=charge["id"])
if status is not None and 400 <= status < 500 and status != 429:
    os.remove(path)
    out(1, effect="none", error=f"refused: HTTP {status}")
out(75, effect="unknown", error=f"{status or 'no answer'}: the charge may or may not have gone through")
