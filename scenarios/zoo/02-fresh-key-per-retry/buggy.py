#!/usr/bin/env python3
"""Bug zoo 02, BUGGY: a fresh "random" key on every retry.

  create-order --amount N --idempotency-key K

It retries a lost or failed answer itself (3 attempts, backing off), but it
takes a failed attempt's key as spent and makes a new one for each retry
(unique per process and attempt, like a uuid4): a retry of a charge that did
go through is a new charge. The fix (fixed.py): keep the key.
"""
import argparse
import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.request

_fresh = 0


def fresh_key():
    """A new key, different on every call: the pid and a counter (deterministic, like a seeded uuid4)."""
    global _fresh
    _fresh += 1
    return f"rnd-{os.getpid()}-{_fresh}"


def out(code, **result):
    print(json.dumps(result), flush=True)
    sys.exit(code)


def charge(amount, key):
    """(status, replayed, body); status None when no answer came."""
    request = urllib.request.Request(
        os.environ["PAYMENTS_URL"] + "/charges", method="POST", data=json.dumps({"amount": amount}).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=int(os.environ.get("REQUEST_TIMEOUT_MS", "800")) / 1000) as res:
            return res.status, res.headers.get("Idempotent-Replayed") == "true", json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, False, None
    except (OSError, ValueError, http.client.HTTPException):  # no answer, a reset, a cut-off body
        return None, False, None


parser = argparse.ArgumentParser()
parser.add_argument("command", choices=["create-order"])
parser.add_argument("--amount", type=int, required=True)
parser.add_argument("--idempotency-key", required=True)
args = parser.parse_args()

key = args.idempotency_key
for attempt in range(1, 4):
    if attempt > 1:
        time.sleep(0.1 * 3 ** (attempt - 2))
        key = fresh_key()
    status, replayed, body = charge(args.amount, key)
    if status is not None and 200 <= status < 300 and isinstance(body, dict) and body.get("id"):
        out(0, effect="noop" if replayed and attempt == 1 else "created", id=body["id"])
    if status == 422:
        out(3, effect="none", error="the key was used with another amount")
    if status is not None and 400 <= status < 500 and status != 409:
        out(1, effect="none", error=f"refused: HTTP {status}")
out(75, effect="unknown", error=f"gave up after 3 attempts (last: {status or 'no answer'})")
