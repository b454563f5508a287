#!/usr/bin/env python3
"""Bug zoo 02, FIXED: the tool's own retries keep the caller's key.

  create-order --amount N --idempotency-key K

It retries a lost or failed answer itself (3 attempts, backing off), and every
attempt carries the same Idempotency-Key: payments answers a retry of a charge
that did go through from its key store.
"""
import argparse
import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.request


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
    status, replayed, body = charge(args.amount, key)
    if status is not None and 200 <= status < 300 and isinstance(body, dict) and body.get("id"):
        out(0, effect="noop" if replayed and attempt == 1 else "created", id=body["id"])
    if status == 422:
        out(3, effect="none", error="the key was used with another amount")
    if status is not None and 400 <= status < 500 and status != 409:
        out(1, effect="none", error=f"refused: HTTP {status}")
out(75, effect="unknown", error=f"gave up after 3 attempts (last: {status or 'no answer'})")
