#!/usr/bin/env python3
"""Bug zoo 05, FIXED: an orders API whose key store claims a key before acting.

POST /orders {amount} with an Idempotency-Key header creates an order and
charges payments (which gets the key too). The key store, under a lock, claims
the key (in flight) before payments is called: a second request with the key
while the first is in flight gets 409; a replay gets the first response with
`Idempotent-Replayed: true`; the key with another body gets 422; no key, 400.
"""
import hashlib
import http.client
import json
import os
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

store = {}  # key -> {"digest": ..., "response": (status, body), or None while in flight}
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
    with lock:
        stored = store.get(key)
        if stored and stored["digest"] != digest:
            return 422, {"effect": "none", "error": "the key was used with another body"}, False
        if stored and stored["response"] is None:
            return 409, {"effect": "none", "error": "a request with this key is in flight"}, False
        if stored:
            return *stored["response"], True
        store[key] = {"digest": digest, "response": None}
    status, charged = charge(amount, key)
    with lock:
        if status is not None and 200 <= status < 300 and isinstance(charged, dict):
            orders[0] += 1
            response = (201, {"effect": "created", "id": f"ord_{orders[0]}", "amount": amount, "charge": charged["id"]})
            store[key] = {"digest": digest, "response": response}
            return *response, False
        store.pop(key, None)
    if status is not None and 400 <= status < 500 and status not in (409, 429):
        return 402, {"effect": "none", "error": f"payments refused the charge ({status})"}, False
    return 502, {"effect": "unknown", "error": f"payments: {status or 'no answer'}; retry with the same key"}, False


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
        if not key:
            return self.reply(400, {"effect": "none", "error": "an Idempotency-Key header is required"})
        try:
            body = json.loads(raw)
            amount = body["amount"]
        except (ValueError, TypeError, KeyError):
            return self.reply(400, {"effect": "none", "error": "the body must be JSON with an amount"})
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        self.reply(*create_order(key, digest, amount))

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Api).serve_forever()
