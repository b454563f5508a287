#!/usr/bin/env python3
"""Bug zoo 09, FIXED: waits as long as Retry-After says.

  create-order --amount N --idempotency-key K

The tool retries a charge itself (2 attempts, one key) after no answer, a 5xx
or a 429, backing off; when the answer carries Retry-After, it waits that long.
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
    """(status, headers, body); status None when no answer came."""
    request = urllib.request.Request(
        os.environ["PAYMENTS_URL"] + "/charges", method="POST", data=json.dumps({"amount": amount}).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=int(os.environ.get("REQUEST_TIMEOUT_MS", "800")) / 1000) as res:
            return res.status, res.headers, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, err.headers, None
    except (OSError, ValueError, http.client.HTTPException):  # no answer, a reset, a cut-off body
        return None, {}, None


parser = argparse.ArgumentParser()
parser.add_argument("command", choices=["create-order"])
parser.add_argument("--amount", type=int, required=True)
parser.add_argument("--idempotency-key", required=True)
args = parser.parse_args()

delay = 0.05
for attempt in range(1, 3):
    if attempt > 1:
        time.sleep(delay)
    status, headers, body = charge(args.amount, args.idempotency_key)
    if status is not None and 200 <= status < 300 and isinstance(body, dict) and body.get("id"):
        replayed = headers.get("Idempotent-Replayed") == "true" and attempt == 1
        out(0, effect="noop" if replayed else "created", id=body["id"])
    if status == 422:
        out(3, effect="none", error="the key was used with another amount")
    if status is not None and 400 <= status < 500 and status not in (409, 429):
        out(1, effect="none", error=f"refused: HTTP {status}")
    delay = 0.05 * 2 ** attempt
    if headers.get("Retry-After", "").isdigit():
        delay = max(delay, int(headers["Retry-After"]))
out(75, effect="unknown", error=f"gave up after 2 attempts (last: {status or 'no answer'})")
