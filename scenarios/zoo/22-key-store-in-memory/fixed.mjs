#!/usr/bin/env node
// Bug zoo 22, FIXED: the key store is kept in a file, so it outlives the process.
// An orders API (node:http): POST /orders {amount} with an Idempotency-Key
// header charges payments, which does not deduplicate: the API's key store is
// all that stands between a retry and a second charge. It claims a key before
// acting (a second request meanwhile gets 409), keeps the order it created (a
// replay gets the first response back with `Idempotent-Replayed: true`), and
// answers the key with another body 422. The store is written to a file
// (write, then rename) before the answer goes out and read back at start, so
// a restart (a deploy, a graceful stop) forgets nothing.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { postJson } from '../lib/post-json.mjs';

// The case's folder ({{case.dir}} in start.env): it outlives a restart within the case.
const dir = process.env.STATE_DIR;
const file = path.join(dir, 'keys.json');
const saved = (() => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return { orders: 0, done: [] };
  }
})();
const store = new Map(saved.done); // key -> { digest, order?: { amount, charge, id } } (no order: in flight)
let orders = saved.orders;
const save = () => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify({ orders, done: [...store].filter(([, entry]) => entry.order) }));
  renameSync(`${file}.tmp`, file);
};

/** POSTs JSON to payments: {status, replayed, answer}; status null when no answer came (refused, reset, timed out). */
const post = (urlPath, body, headers) => postJson(`${process.env.PAYMENTS_URL}${urlPath}`, body, headers, Number(process.env.UPSTREAM_TIMEOUT_MS ?? 800));

const orderBody = (order) => ({ effect: 'created', id: order.id, amount: order.amount, charge: order.charge });

async function createOrder(key, digest, amount) {
  const stored = store.get(key);
  if (stored && stored.digest !== digest) return [422, { effect: 'none', error: 'the key was used with another body' }];
  if (stored && !stored.order) return [409, { effect: 'none', error: 'a request with this key is in flight' }];
  if (stored) return [201, orderBody(stored.order), { 'idempotent-replayed': 'true' }];
  store.set(key, { digest });
  const { status, answer: charge } = await post('/charges', { amount }, { 'idempotency-key': key });
  if (status !== null && status < 300 && charge?.id) {
    orders += 1;
    const order = { amount, charge: charge.id, id: `ord_${orders}` };
    store.set(key, { digest, order });
    save();
    return [201, orderBody(order)];
  }
  store.delete(key);
  if (status !== null && status >= 400 && status < 500 && status !== 409 && status !== 429) {
    return [402, { effect: 'none', error: `payments refused the charge (${status})` }];
  }
  return [502, { effect: 'unknown', error: `payments: ${status ?? 'no answer'}; retry with the same key` }];
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
