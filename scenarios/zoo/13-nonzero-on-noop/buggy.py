#!/usr/bin/env python3
"""Bug zoo 13, BUGGY: exits non-zero on a noop.

  create-order --amount N --idempotency-key K

One request to payments, which deduplicates by key: a retry or a replay with
the caller's key is answered from payments' key store, marked
`Idempotent-Replayed: true`, and the tool reports it as noop, but exits 1
("nothing was done"): its caller takes the replay for a failure and retries
in vain. The fix (fixed.py): a noop is a success, exit 0.
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
        replayed = res.headers.get("Idempotent-Replayed") == "true"
        out(1 if replayed else 0, effect="noop" if replayed else "created", id=body["id"])
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
