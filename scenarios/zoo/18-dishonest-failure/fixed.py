#!/usr/bin/env python3
"""Bug zoo 18, FIXED: an answer that may hide a commit is reported as unknown.

  create-order --amount N --idempotency-key K

One request to payments, which deduplicates by key. A 5xx, a timeout or a
dropped answer may come after payments charged: the tool reports the outcome
as unknown (exit 75), never as "nothing happened".
"""
import argparse
import http.client
import json
import os
import sys
import urllib.error
import urllib.request


def out(code, **result):
    print(json.dumps(result), flush=True)
    sys.exit(code)


parser = argparse.ArgumentParser()
parser.add_argument("command", choices=["create-order"])
parser.add_argument("--amount", type=int, required=True)
parser.add_argument("--idempotency-key", required=True)
args = parser.parse_args()

request = urllib.request.Request(
    os.environ["PAYMENTS_URL"] + "/charges", method="POST", data=json.dumps({"amount": args.amount}).encode(),
    headers={"Content-Type": "application/json", "Idempotency-Key": args.idempotency_key})
try:
    with urllib.request.urlopen(request, timeout=int(os.environ.get("REQUEST_TIMEOUT_MS", "800")) / 1000) as res:
        body = json.loads(res.read())
        out(0, effect="noop" if res.headers.get("Idempotent-Replayed") == "true" else "created", id=body["id"])
except urllib.error.HTTPError as err:
    if err.code == 422:
        out(3, effect="none", error="the key was used with another amount")
    if err.code == 409:
        out(4, effect="none", error="a request with this key is still in flight")
    if 400 <= err.code < 500 and err.code != 429:
        out(1, effect="none", error=f"refused: HTTP {err.code}")
    out(75, effect="unknown", error=f"HTTP {err.code}: the charge may or may not have gone through")
except (OSError, ValueError, KeyError, TypeError, http.client.HTTPException) as err:  # no answer, a reset, a cut-off body
    out(75, effect="unknown", error=f"{err!r}: the charge may or may not have gone through")
