#!/usr/bin/env node
// Bug zoo 27, FIXED: backs off between its own retries (50 ms, then 100 ms).
//   create-order --amount N --idempotency-key K
// It charges payments with the caller's key and retries the charge itself
// after no answer or a 5xx (one key, at most 5 attempts), waiting 50 ms before
// the second attempt, 100 ms before the third, and so on; then it reports the outcome
// as unknown and leaves the next try to its caller. (Issue 13, class 8: these
// waits were once measured as 168 ms then 114 ms on a loaded machine and
// called "does not back off".)
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
const backoff = (attempt) => 50 * 2 ** (attempt - 2); // 50 ms before attempt 2, then 100, 200, 400 ms

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
