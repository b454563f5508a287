#!/usr/bin/env node
// Bug zoo 27, BUGGY: retries at once, with no back-off at all.
//   create-order --amount N --idempotency-key K
// It charges payments with the caller's key and retries the charge itself
// after no answer or a 5xx (one key, at most 5 attempts), but it asks again
// the moment the answer comes: a payments service that is down (a 503 asks
// the client to come back later) gets five requests in a few milliseconds.
// The fix (fixed.mjs): wait 50 ms before the second attempt, 100 ms before
// the third, and so on.
import { parseArgs } from 'node:util';
import { postJson } from '../lib/post-json.mjs';

const { values: opt } = parseArgs({
  options: { amount: { type: 'string' }, 'idempotency-key': { type: 'string' } },
  allowPositionals: true,
});
const out = (code, result) => {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(code);
};

/** POSTs JSON to payments: {status, replayed, answer}; status null when no answer came (refused, reset, timed out). */
const post = (path, body, headers) => postJson(`${process.env.PAYMENTS_URL}${path}`, body, headers, Number(process.env.REQUEST_TIMEOUT_MS ?? 800));
const backoff = (attempt) => 0; // BUG: no back-off: every retry at once

let status = null;
for (let attempt = 1; attempt <= 5; attempt += 1) {
  if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
  const { replayed, answer, ...got } = await post('/charges', { amount: Number(opt.amount) }, { 'idempotency-key': opt['idempotency-key'] });
  status = got.status;
  if (status < 300 && answer?.id) out(0, { effect: replayed && attempt === 1 ? 'noop' : 'created', id: answer.id });
  if (status !== null && status < 500) break;
}
if (status === 422) out(3, { effect: 'none', error: 'the key was used with another amount' });
if (status === 409) out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (status >= 400 && status < 500 && status !== 429) out(1, { effect: 'none', error: `refused: HTTP ${status}` });
out(75, { effect: 'unknown', error: `gave up (last: ${status ?? 'no answer'}): the charge may or may not have gone through` });
