#!/usr/bin/env node
/**
 * A small orders API (node:http only, no dependencies) in two variants, for
 * the http-api-safe and http-api-racy scenarios.
 *
 *   node http-api.mjs [--variant safe|racy]      (or env ORDERS_API_VARIANT)
 *
 * Env: PORT (listens on 127.0.0.1:PORT), PAYMENTS_URL (the payments upstream),
 * UPSTREAM_TIMEOUT_MS (its own timeout towards payments, default 1000).
 *
 * POST /orders {amount, currency} with an Idempotency-Key header (bare, or the
 * IETF draft's quoted Structured Field form: the same key) creates an order
 * and charges it: POST PAYMENTS_URL/charges. Every response is JSON with an
 * `effect`: created (201), would_create (200, dry run: ?dry_run=true or
 * header Dry-Run: true), none (a refusal: nothing happened) or unknown (the
 * charge may or may not have gone through: retry with the same key).
 *
 * SAFE follows the IETF draft and Stripe, with an in-memory key store:
 * - no Idempotency-Key: 400;
 * - the key reused with another body: 422;
 * - the key's first request still in flight: 409;
 * - a replay: the first response's status and body, with `Idempotent-Replayed: true`;
 * - it forwards the key to payments (which honours it), so a retry after an
 *   upstream failure, or after the API itself was killed and lost its memory,
 *   never charges twice: payments answers it from its own key store.
 * Only completed (2xx) responses are stored; after a failure the key is free
 * again, so the caller's retry with the same key finishes the job.
 *
 * RACY is check-then-act: it looks the key up, awaits the charge, and only
 * then stores the key (no in-flight marker), and it trusts that check alone:
 * it sends payments no Idempotency-Key. Two concurrent requests with one key
 * both find nothing and both charge; so does a retry after a failed charge
 * that had in fact gone through.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';

const variantArg = process.argv.indexOf('--variant');
const VARIANT = (variantArg >= 0 ? process.argv[variantArg + 1] : process.env.ORDERS_API_VARIANT) ?? 'safe';
if (VARIANT !== 'safe' && VARIANT !== 'racy') {
  console.error(`unknown variant ${JSON.stringify(VARIANT)}: use --variant safe or --variant racy`);
  process.exit(2);
}
const PORT = Number(process.env.PORT);
const PAYMENTS_URL = process.env.PAYMENTS_URL;
const UPSTREAM_TIMEOUT_MS = Number(process.env.UPSTREAM_TIMEOUT_MS ?? 1000);
if (!Number.isInteger(PORT) || PORT <= 0) {
  console.error('PORT must be set to the port to listen on');
  process.exit(2);
}
if (!PAYMENTS_URL) {
  console.error('PAYMENTS_URL must be set to the payments service base URL');
  process.exit(2);
}

/** key -> { fingerprint, response?: { status, body } } (no response yet: in flight) */
const keys = new Map();
const orders = new Map();
let sequence = 0;

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(`unexpected error: ${error?.stack ?? error}`);
    if (!res.headersSent) send(res, 500, { error: 'internal error', effect: 'unknown' });
    else res.destroy();
  });
});
server.listen(PORT, '127.0.0.1', () => console.log(`orders API (${VARIANT}) listening on 127.0.0.1:${PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());

async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { ok: true, variant: VARIANT });
  if (req.method === 'GET' && url.pathname.startsWith('/orders/')) {
    const order = orders.get(url.pathname.slice('/orders/'.length));
    return order ? send(res, 200, order) : send(res, 404, { error: 'no such order', effect: 'none' });
  }
  if (req.method !== 'POST' || url.pathname !== '/orders') return send(res, 404, { error: 'not found', effect: 'none' });

  const key = parseKey(req.headers['idempotency-key']);
  if (key === null) return send(res, 400, { error: 'an Idempotency-Key header is required', effect: 'none' });
  const text = await readBody(req);
  let body;
  try {
    body = JSON.parse(text || '{}');
  } catch {
    return send(res, 400, { error: 'the body must be JSON', effect: 'none' });
  }
  if (!body || typeof body !== 'object' || typeof body.amount !== 'number' || !(body.amount > 0)) {
    return send(res, 400, { error: 'amount must be a positive number', effect: 'none' });
  }
  const currency = typeof body.currency === 'string' ? body.currency : 'eur';
  const dryRun = url.searchParams.get('dry_run') === 'true' || req.headers['dry-run'] === 'true';
  if (dryRun) return send(res, 200, { effect: 'would_create', amount: body.amount, currency });

  const fingerprint = createHash('sha256').update(canonicalJson(body)).digest('hex');
  const stored = keys.get(key);
  if (stored && stored.fingerprint !== fingerprint) {
    return send(res, 422, { error: 'Idempotency-Key reused with a different request body', effect: 'none' });
  }
  if (stored && !stored.response) {
    // Only SAFE ever stores a key without a response.
    return send(res, 409, { error: 'a request with this Idempotency-Key is still in flight', effect: 'none' });
  }
  if (stored) return send(res, stored.response.status, stored.response.body, { 'idempotent-replayed': 'true' });

  if (VARIANT === 'safe') keys.set(key, { fingerprint });
  const charge = await chargePayments({ amount: body.amount, currency, ref: key }, VARIANT === 'safe' ? key : null);
  if (!charge.ok) {
    keys.delete(key);
    return send(res, charge.status, { error: charge.error, effect: charge.effect }, charge.headers);
  }
  sequence += 1;
  const order = { id: `ord_${sequence}`, amount: body.amount, currency, charge: charge.id, effect: 'created' };
  orders.set(order.id, order);
  keys.set(key, { fingerprint, response: { status: 201, body: order } });
  return send(res, 201, order);
}

/** POST /charges on the payments service; never throws. */
function chargePayments(payload, idempotencyKey) {
  return new Promise((resolve) => {
    const text = JSON.stringify(payload);
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
    if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey;
    let settled = false;
    const done = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const unknown = (why) => done({ ok: false, status: 502, effect: 'unknown', error: `payments: ${why}; the charge may or may not have gone through` });
    const request = http.request(new URL('/charges', PAYMENTS_URL), { method: 'POST', headers, agent: false }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('error', () => unknown('the answer was cut off'));
      response.on('aborted', () => unknown('the answer was cut off'));
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        let answer = null;
        try {
          answer = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          // Judged by status below.
        }
        if (status >= 200 && status < 300 && answer && typeof answer.id === 'string') return done({ ok: true, id: answer.id });
        if (status >= 200 && status < 300) return unknown(`answered ${status} without a charge id`);
        if (status === 429) {
          const retryAfter = response.headers['retry-after'];
          return done({ ok: false, status: 503, effect: 'none', error: 'payments is rate limiting; nothing was charged', headers: retryAfter ? { 'retry-after': retryAfter } : {} });
        }
        if (status === 409) return done({ ok: false, status: 409, effect: 'none', error: 'payments: a charge with this key is still in flight' });
        if (status >= 400 && status < 500) return done({ ok: false, status: 402, effect: 'none', error: `payments refused the charge (${status})` });
        return unknown(`answered ${status}`);
      });
    });
    const timer = setTimeout(() => {
      request.destroy();
      done({ ok: false, status: 504, effect: 'unknown', error: `payments did not answer within ${UPSTREAM_TIMEOUT_MS} ms; the charge may or may not have gone through` });
    }, UPSTREAM_TIMEOUT_MS);
    request.on('error', (error) => unknown(`connection failed (${error.code ?? error.message})`));
    request.end(text);
  });
}

/** Bare (Stripe) or a Structured Field String (IETF draft): the same key. */
function parseKey(header) {
  if (typeof header !== 'string') return null;
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1).replace(/\\(["\\])/g, '$1');
  return key === '' ? null : key;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, body, headers = {}) {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((name) => `${JSON.stringify(name)}:${canonicalJson(value[name])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
