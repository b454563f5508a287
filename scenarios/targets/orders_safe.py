#!/usr/bin/env python3
"""orders_safe: the careful counterpart of orders-naive.

- Every call has an idempotency key (given, or derived from the inputs).
- A local state file per key is written atomically BEFORE the request is sent,
  so a run that dies or loses the answer leaves a "pending" mark behind.
- A pending create-order is reconciled through the payments look-up
  (GET /charges?ref=KEY); a pending send-email cannot be reconciled (the mailer
  has no look-up), so it is reported as unknown instead of being sent twice.
- The tool never retries by itself; exit 75 tells the caller the outcome is
  unknown and a retry with the same key is safe.

- An exclusive lock per key (flock, released by the kernel even if the process
  is killed) makes check-then-act atomic: a concurrent invocation with the
  same key backs off with exit 4 instead of acting too.

Exit codes: 0 created/noop, 1 permanent failure (nothing done), 2 usage error,
3 key reused with a different payload, 4 the same key is in flight, 75 outcome unknown.
Stdout: exactly one JSON object with an "effect" field.
"""

import argparse
import fcntl
import hashlib
import http.client
import json
import math
import os
import re
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_CONFLICT, EXIT_IN_FLIGHT, EXIT_UNKNOWN = 0, 1, 2, 3, 4, 75
KEY_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")  # the key becomes part of a file name


def emit(obj, code):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
    sys.exit(code)


def ok(effect, key, id_=None):
    obj = {"ok": True, "effect": effect}
    if id_ is not None:
        obj["id"] = id_
    obj["key"] = key
    emit(obj, EXIT_OK)


def fail(effect, error, key, code):
    emit({"ok": False, "effect": effect, "error": error, "key": key}, code)


class Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors: still one JSON object on stdout
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        fail("none", f"usage: {message}", None, EXIT_USAGE)


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def number(text):
    try:
        value = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}")
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


# ---------------------------------------------------------------- state files

def state_dir():
    path = os.environ.get("ORDERS_STATE_DIR")
    if not path:
        fail("none", "ORDERS_STATE_DIR is not set", None, EXIT_USAGE)
    os.makedirs(path, exist_ok=True)
    return path


def fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_state(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def write_state(path, state):
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(state, f, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(folder)


_lock_fd = None  # kept open for the life of the process


def hold_key_lock(path, key):
    """Takes the key's lock or exits 4: two invocations must not both check and act."""
    global _lock_fd
    _lock_fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fail("none", "another invocation with this key is in flight; retry later", key, EXIT_IN_FLIGHT)


def delete_state(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    fsync_dir(os.path.dirname(path))


# ---------------------------------------------------------------------- HTTP

def timeout_s():
    raw = os.environ.get("REQUEST_TIMEOUT_MS", "500")
    try:
        ms = float(raw)
    except ValueError:
        ms = 500.0
    return (ms if ms > 0 else 500.0) / 1000.0


def request(method, url, body=None, key=None):
    """Returns (status, parsed JSON or None). Raises on transport errors."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if key is not None:
        headers["Idempotency-Key"] = key
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s()) as res:
            status, raw = res.status, res.read()
    except urllib.error.HTTPError as err:
        return err.code, None
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


def describe(err):
    if isinstance(err, urllib.error.URLError) and not isinstance(err, urllib.error.HTTPError):
        err = err.reason if isinstance(err.reason, BaseException) else err
    if isinstance(err, TimeoutError):  # socket.timeout is TimeoutError in 3.10+
        return f"request timed out after {timeout_s():g} s"
    return f"{type(err).__name__}: {err}"


TRANSPORT_ERRORS = (OSError, http.client.HTTPException)  # URLError, timeouts and resets are OSErrors


def base_url(var, key):
    url = os.environ.get(var)
    if not url:
        fail("none", f"{var} is not set", key, EXIT_USAGE)
    return url.rstrip("/")


# ---------------------------------------------------------------- the flow

def lookup_charge(key):
    """Returns the id of a charge with ref == key, or None. Exits 75 if the look-up fails."""
    url = f"{base_url('PAYMENTS_URL', key)}/charges?" + urllib.parse.urlencode({"ref": key})
    try:
        status, doc = request("GET", url)
    except TRANSPORT_ERRORS as err:
        fail("unknown", f"look-up failed: {describe(err)}", key, EXIT_UNKNOWN)
    if not 200 <= status < 300 or not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        fail("unknown", f"look-up failed: HTTP {status}", key, EXIT_UNKNOWN)
    for rec in doc["data"]:
        if isinstance(rec, dict) and rec.get("ref") == key and rec.get("id") is not None:
            return rec["id"]
    return None


def run(kind, inputs, body_without_ref, url, given_key, dry_run, lookup):
    key = given_key or sha256_hex(kind + canonical(inputs))[:24]
    if not KEY_RE.match(key):
        fail("none", "idempotency key must match [A-Za-z0-9._-]{1,128}", key, EXIT_USAGE)
    if dry_run:
        emit({"ok": True, "effect": "would_create", "key": key}, EXIT_OK)

    payload_hash = sha256_hex(canonical(inputs))
    path = os.path.join(state_dir(), f"{kind}-{key}.json")
    hold_key_lock(path + ".lock", key)
    try:
        state = read_state(path)
    except (OSError, ValueError) as err:
        fail("unknown", f"state file unreadable ({err}); not sending", key, EXIT_UNKNOWN)

    if state is not None:
        # 1. same key, different payload
        if state.get("payload_hash") != payload_hash:
            fail("none", "idempotency key reused with a different payload", key, EXIT_CONFLICT)
        # 2. already done
        if state.get("status") == "done":
            ok("noop", key, state.get("id"))
        # 3. pending: an earlier run may have committed and then died or lost the answer
        if lookup is None:
            fail("unknown", "an earlier attempt may have sent this email; the mailer offers no look-up",
                 key, EXIT_UNKNOWN)
        found = lookup(key)
        if found is not None:
            finish(path, payload_hash, found, key)
        # nothing committed upstream: fall through and send

    # 4. mark pending BEFORE sending
    try:
        write_state(path, {"status": "pending", "payload_hash": payload_hash})
    except OSError as err:
        fail("none", f"cannot write state file, nothing sent: {err}", key, EXIT_FAIL)

    body = dict(body_without_ref, ref=key)
    try:
        status, doc = request("POST", url, body, key)
    except TRANSPORT_ERRORS as err:
        fail("unknown", describe(err), key, EXIT_UNKNOWN)

    if 200 <= status < 300:
        id_ = doc.get("id") if isinstance(doc, dict) else None
        if id_ is None:
            fail("unknown", f"HTTP {status} without an id in the answer", key, EXIT_UNKNOWN)
        finish(path, payload_hash, id_, key)
    if 400 <= status < 500 and status not in (408, 409, 429):
        try:
            delete_state(path)
        except OSError as err:
            sys.stderr.write(f"warning: could not delete state file: {err}\n")
        fail("none", f"rejected by upstream: HTTP {status}", key, EXIT_FAIL)
    fail("unknown", f"HTTP {status}", key, EXIT_UNKNOWN)


def finish(path, payload_hash, id_, key):
    try:
        write_state(path, {"status": "done", "payload_hash": payload_hash, "id": id_})
    except OSError as err:  # the effect happened; a later run will reconcile from "pending"
        sys.stderr.write(f"warning: could not record completion: {err}\n")
    ok("created", key, id_)


def main():
    parser = Parser(prog="orders_safe", description="Retry-safe order tool.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    p = sub.add_parser("create-order", help="create a charge")
    p.add_argument("--amount", type=number, required=True)
    p.add_argument("--idempotency-key")
    p.add_argument("--dry-run", action="store_true")

    p = sub.add_parser("send-email", help="send the order email")
    p.add_argument("--to", required=True)
    p.add_argument("--idempotency-key")
    p.add_argument("--dry-run", action="store_true")

    args = parser.parse_args()
    if args.command == "create-order":
        inputs = {"amount": args.amount}
        url = None if args.dry_run else base_url("PAYMENTS_URL", args.idempotency_key) + "/charges"
        run("create-order", inputs, {"amount": args.amount}, url,
            args.idempotency_key, args.dry_run, lookup_charge)
    else:
        inputs = {"to": args.to}
        url = None if args.dry_run else base_url("MAILER_URL", args.idempotency_key) + "/messages"
        run("send-email", inputs, {"to": args.to, "subject": "Your order"}, url,
            args.idempotency_key, args.dry_run, None)


if __name__ == "__main__":
    main()
