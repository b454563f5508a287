"""Creates one record with requests (and urllib3's Retry, or backoff).

--mode:
  default             requests.post, requests' default adapter (no retries)
  urllib3-retry       HTTPAdapter(max_retries=Retry(total=3, backoff_factor=0.1,
                      status_forcelist=[429, 500, 502, 503, 504])), default allowed_methods
  urllib3-retry-post  the same with allowed_methods=None and status_forcelist=[503]
  backoff-keyed       @backoff.on_exception(expo, RequestException, max_tries=3,
                      giveup=fatal_code) as in backoff's README, the caller's key sent
Prints the record as JSON and exits 0, or prints the error and exits 1.
"""
import argparse
import json
import os
import sys

import backoff
import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

parser = argparse.ArgumentParser()
parser.add_argument("--mode", required=True)
parser.add_argument("--amount", type=int, required=True)
parser.add_argument("--idempotency-key")
args = parser.parse_args()
url = os.environ["API_URL"] + "/charges"
payload = {"amount": args.amount, "currency": "eur"}


def fatal_code(e):
    # backoff's README: give up on 4xx
    return 400 <= e.response.status_code < 500


@backoff.on_exception(backoff.expo, requests.exceptions.RequestException, max_tries=3, giveup=fatal_code)
def post_with_backoff(session, headers):
    response = session.post(url, json=payload, headers=headers, timeout=1)
    response.raise_for_status()
    return response


def main():
    session = requests.Session()
    headers = {}
    if args.mode == "urllib3-retry":
        retry = Retry(total=3, backoff_factor=0.1, status_forcelist=[429, 500, 502, 503, 504])
        session.mount("http://", HTTPAdapter(max_retries=retry))
    elif args.mode == "urllib3-retry-post":
        retry = Retry(total=3, backoff_factor=0.1, status_forcelist=[503], allowed_methods=None)
        session.mount("http://", HTTPAdapter(max_retries=retry))
    elif args.mode == "backoff-keyed":
        headers["Idempotency-Key"] = args.idempotency_key
    elif args.mode != "default":
        raise SystemExit(f"unknown --mode {args.mode}")
    try:
        if args.mode == "backoff-keyed":
            response = post_with_backoff(session, headers)
        else:
            response = session.post(url, json=payload, headers=headers, timeout=1)
            response.raise_for_status()
    except requests.exceptions.RequestException as error:
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        sys.exit(1)
    record = response.json()
    print(json.dumps({"id": record.get("id"), "amount": record.get("amount")}))


main()
