#!/usr/bin/env node
// Bug zoo 24, FIXED: a request whose key is still in flight gets 409.
// An orders API (node:http): POST /orders {amount} with an Idempotency-Key
// header charges payments (which gets the key too) and keeps the order under
// the key. The key store claims a key before acting: a second request with it
// meanwhile gets 409, "still being processed" (the IETF idempotency-key
// draft), and may come back later; a replay gets the first order with
// `Idempotent-Replayed: true`; the key with another body gets 422. When
// payments fails, the API answers 502 and lets the key go, so a retry with it
// charges afresh. (Issue 13, class 5: of two racers, one got 502 after a 503
// from payments and the other 409; nobody won, nothing was committed, and
// concurrent-same-key blamed the 502 as a bad loser.)
import { createHash } from 'node:crypto';
import http from 'node:http';
import { postJson } from '../lib/post-json.mjs';

const store = new Map(); // key -> { digest, order?: { amount, charge, id } } (no order: in flight)
let orders = 0;

/** POSTs JSON to payments: {status, replayed, answer}; status null when no answer came (refused, reset, timed out). */
const post = (urlPath, body, headers) => postJson(`${process.env.PAYMENTS_URL}${urlPath}`, body, headers, Number(process.env.UPSTREAM_TIMEOUT_MS ?? 800));
const orderBody = (order) => ({ effect: 'created', id: order.id, amount: order.amount, charge: order.charge });

async function createOrder(key, digest, amount) {
  const stored = store.get(key);
  if (stored && stored.digest !== digest) return [422, { effect: 'none', error: 'the key was used with another body' }];
  if (stored && !stored.order) return [409, { effect: 'none', error: 'a request with this key is still being processed; try again later' }];
  if (stored) return [201, orderBody(stored.order), { 'idempotent-replayed': 'true' }];
  store.set(key, { digest });
  const { status, answer: charge } = await post('/charges', { amount }, { 'idempotency-key': key });
  if (status !== null && status < 300 && charge?.id) {
    orders += 1;
    const order = { amount, charge: charge.id, id: `ord_${orders}` };
    store.set(key, { digest, order });
    return [201, orderBody(order)];
  }
  store.delete(key);
  if (status === null) return [502, { effect: 'unknown', error: 'payments gave no answer; retry with the same key' }];
  if (status >= 400 && status < 500 && status !== 409 && status !== 429) {
    return [402, { effect: 'none', error: `payments refused the charge (${status})` }];
  }
  return [502, { effect: 'none', error: `payments answered ${status}: not charged; retry with the same key` }];
}

const server = http.createServer(async (req, res) => {
  const reply = ([status, body, headers = {}]) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'GET') return reply([200, { ok: true }]);
  let text = '';
  for await (const chunk of req) text += chunk;
  const key = req.headers['idempotency-key']?.trim().replace(/^"(.*)"$/, '$1');
  if (!key) return reply([400, { effect: 'none', error: 'an Idempotency-Key header is required' }]);
  let amount;
  try {
    amount = JSON.parse(text).amount;
  } catch {
    return reply([400, { effect: 'none', error: 'the body must be JSON with an amount' }]);
  }
  const digest = createHash('sha256').update(JSON.stringify({ amount })).digest('hex');
  reply(await createOrder(key, digest, amount));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
