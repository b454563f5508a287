#!/usr/bin/env python3
"""Bug zoo 23, FIXED: an orders API that requires the Idempotency-Key header.

POST /orders {amount} with an Idempotency-Key header charges payments (which
gets the key too) and answers 201 with the order. The key store claims a key
before acting (a second request meanwhile gets 409) and keeps the first answer
given under it, whatever it was: the 201, or the 502 it gave when payments
failed. A retry or a replay gets that answer again, status and body, with
`Idempotent-Replayed: true`, as the IETF idempotency-key draft asks (Stripe
replays its stored 500s too; issue 13, class 4: exit-codes took that replayed
502 for a "noop" with a non-2xx status). Like most APIs, its bodies carry no
`effect` field. The key with another body gets 422; a request without a key,
400.
"""
import hashlib
import http.client
import json
import os
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

store = {}  # key -> {"digest": ..., "answer": (status, body), or None while in flight}
lock = threading.Lock()
orders = [0]


def charge(amount, key):
    """(status, body) of POST payments/charges; status None when no answer came."""
    request = urllib.request.Request(
        os.environ["PAYMENTS_URL"] + "/charges", method="POST", data=json.dumps({"amount": amount}).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=int(os.environ.get("UPSTREAM_TIMEOUT_MS", "800")) / 1000) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, None
    except (OSError, ValueError, http.client.HTTPException):
        return None, None


def create_order(key, digest, amount):
    """(status, body, replayed): the first answer under the key, or a refusal."""
    with lock:
        stored = store.get(key)
        if stored and stored["digest"] != digest:
            return 422, {"error": "the key was used with another body"}, False
        if stored and stored["answer"] is None:
            return 409, {"error": "a request with this key is in flight"}, False
        if stored:
            return (*stored["answer"], True)
        store[key] = {"digest": digest, "answer": None}
    status, charged = charge(amount, key)
    with lock:
        if status is not None and 200 <= status < 300 and isinstance(charged, dict):
            orders[0] += 1
            answer = (201, {"id": f"ord_{orders[0]}", "amount": amount, "charge": charged["id"]})
        elif status is not None and 400 <= status < 500 and status not in (409, 429):
            answer = (402, {"error": f"payments refused the charge ({status})"})
        else:
            answer = (502, {"error": f"payments: {status or 'no answer'}; nothing was charged"})
        store[key] = {"digest": digest, "answer": answer}  # the first answer, a failure too
    return (*answer, False)


class Api(BaseHTTPRequestHandler):
    def reply(self, status, body, replayed=False):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if replayed:
            self.send_header("Idempotent-Replayed", "true")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply(200, {"ok": True})

    def do_POST(self):
        key = (self.headers.get("Idempotency-Key") or "").strip().strip('"')
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
            amount = body["amount"]
        except (ValueError, TypeError, KeyError):
            return self.reply(400, {"error": "the body must be JSON with an amount"})
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        if not key:
            return self.reply(400, {"error": "an Idempotency-Key header is required"})
        self.reply(*create_order(key, digest, amount))

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Api).serve_forever()
