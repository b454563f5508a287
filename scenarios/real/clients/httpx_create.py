"""Creates one record with httpx (and tenacity).

--mode:
  transport  httpx.Client(transport=httpx.HTTPTransport(retries=2), timeout=1.0)
  tenacity   @retry(stop=stop_after_attempt(3), wait=wait_exponential(multiplier=0.1),
             retry=retry_if_exception_type(httpx.HTTPError)) around post + raise_for_status
Prints the record as JSON and exits 0, or prints the error and exits 1.
"""
import argparse
import json
import os
import sys

import httpx
from tenacity import RetryError, retry, retry_if_exception_type, stop_after_attempt, wait_exponential

parser = argparse.ArgumentParser()
parser.add_argument("--mode", required=True)
parser.add_argument("--amount", type=int, required=True)
args = parser.parse_args()
url = os.environ["API_URL"] + "/charges"
payload = {"amount": args.amount, "currency": "eur"}


@retry(stop=stop_after_attempt(3), wait=wait_exponential(multiplier=0.1), retry=retry_if_exception_type(httpx.HTTPError))
def post_with_tenacity(client):
    response = client.post(url, json=payload)
    response.raise_for_status()
    return response


def main():
    try:
        if args.mode == "transport":
            with httpx.Client(transport=httpx.HTTPTransport(retries=2), timeout=1.0) as client:
                response = client.post(url, json=payload)
                response.raise_for_status()
        elif args.mode == "tenacity":
            with httpx.Client(timeout=1.0) as client:
                response = post_with_tenacity(client)
        else:
            raise SystemExit(f"unknown --mode {args.mode}")
    except (httpx.HTTPError, RetryError) as error:
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        sys.exit(1)
    record = response.json()
    print(json.dumps({"id": record.get("id"), "amount": record.get("amount")}))


main()
