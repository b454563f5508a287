"""The Python zoo targets' shared plumbing: the command line, the HTTP call to
payments, and the printed answer. Shared so that each target shows only its
own logic (and `diff fixed.py buggy.py` only the bug)."""
import argparse
import http.client
import json
import os
import sys
import urllib.error
import urllib.request


def out(code, **result):
    """Prints the result as JSON and exits with `code`."""
    print(json.dumps(result), flush=True)
    sys.exit(code)


def order_args():
    """create-order --amount N --idempotency-key K"""
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["create-order"])
    parser.add_argument("--amount", type=int, required=True)
    parser.add_argument("--idempotency-key", required=True)
    return parser.parse_args()


def call(method, path, body=None, headers=None):
    """(status, headers, JSON body) from payments. status is None when no answer
    came (refused, reset, timed out, cut off); body is None when it is not JSON."""
    request = urllib.request.Request(os.environ["PAYMENTS_URL"] + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=int(os.environ.get("REQUEST_TIMEOUT_MS", "800")) / 1000) as res:
            return res.status, res.headers, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, err.headers, None
    except (OSError, ValueError, http.client.HTTPException):  # no answer, a reset, a cut-off body
        return None, {}, None


def charged(status, body):
    """Did payments answer with a charge?"""
    return status is not None and 200 <= status < 300 and isinstance(body, dict) and bool(body.get("id"))


def replayed(headers):
    return headers.get("Idempotent-Replayed") == "true"


def exit_if_refused(status):
    """Payments said no for good: the key reused with another amount (3), in
    flight (4), or another refusal (1). Anything else is left to the caller."""
    if status == 422:
        out(3, effect="none", error="the key was used with another amount")
    if status == 409:
        out(4, effect="none", error="a request with this key is still in flight")
    if status is not None and 400 <= status < 500 and status != 429:
        out(1, effect="none", error=f"refused: HTTP {status}")


def may_have_committed(status):
    """Could the attempt that got this answer have charged? No answer, a 5xx
    (it may come after the work) or a 409 (another request with the key may
    yet commit): yes. A 429 is a refusal: nothing was done."""
    return status is None or status >= 500 or status == 409


def give_up(attempts, statuses):
    """Out of attempts: `unknown` if any of them may have charged, else `none`
    (only refusals such as 429 came back, so the tool knows nothing happened)."""
    unsure = any(may_have_committed(status) for status in statuses)
    last = statuses[-1] if statuses else None
    out(75, effect="unknown" if unsure else "none", error=f"gave up after {attempts} attempts (last: {last or 'no answer'})")
