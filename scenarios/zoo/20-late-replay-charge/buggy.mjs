#!/usr/bin/env node
// Bug zoo 20, BUGGY: a replay is answered, then charged again 50 ms later.
// An orders API (node:http): POST /orders {amount} with an Idempotency-Key
// header charges payments (which does NOT deduplicate) and keeps the order
// under the key. The key store claims a key before acting (a second request
// meanwhile gets 409); a replay gets the stored order back with
// `Idempotent-Replayed: true`. The key with another body gets 422. Writes to
// the key store go through a write-behind of about 50 ms, as a real store's do.
// The bug: the replay branch does not return after its bookkeeping, so the
// handler runs on and charges payments again, ~50 ms after the answer went out
// (the client saw a correct replay). The fix (fixed.mjs): return.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { postJson } from '../lib/post-json.mjs';

const store = new Map(); // key -> { digest, order?: { amount, charge, id } } (no order: in flight)
let orders = 0;

/** POSTs JSON to payments: {status, replayed, answer}; status null when no answer came (refused, reset, timed out). */
const post = (path, body, headers) => postJson(`${process.env.PAYMENTS_URL}${path}`, body, headers, Number(process.env.UPSTREAM_TIMEOUT_MS ?? 800));
/** The key store's write-behind: a replay's bookkeeping takes about this long. */
const writeBehind = () => new Promise((resolve) => setTimeout(resolve, 50));

async function createOrder(key, digest, amount, reply) {
  const stored = store.get(key);
  if (stored && stored.digest !== digest) return reply([422, { effect: 'none', error: 'the key was used with another body' }]);
  if (stored && !stored.order) return reply([409, { effect: 'none', error: 'a request with this key is in flight' }]);
  if (stored) {
    reply([201, stored.order, { 'idempotent-replayed': 'true' }]);
    await writeBehind(); // the replay's bookkeeping: the answer has already gone out
    // BUG: no return: the handler goes on to charge again
  }
  store.set(key, { digest });
  const { status, answer: charge } = await post('/charges', { amount }, { 'idempotency-key': key });
  if (status !== null && status < 300 && charge?.id) {
    orders += 1;
    const order = { effect: 'created', id: `ord_${orders}`, amount, charge: charge.id };
    store.set(key, { digest, order });
    return reply([201, order]);
  }
  store.delete(key);
  if (status !== null && status >= 400 && status < 500 && status !== 409 && status !== 429) {
    return reply([402, { effect: 'none', error: `payments refused the charge (${status})` }]);
  }
  return reply([502, { effect: 'none', error: `payments: ${status ?? 'no answer'}, nothing was charged; retry with the same key` }]);
}

const server = http.createServer(async (req, res) => {
  const reply = ([status, body, headers = {}]) => {
    if (res.headersSent) return; // answered already
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
  await createOrder(key, digest, amount, reply);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
