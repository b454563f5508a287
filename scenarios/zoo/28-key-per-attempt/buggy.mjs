#!/usr/bin/env node
// Bug zoo 28, BUGGY: a retry sends the caller's key with the attempt number appended.
//   create-order --amount N --idempotency-key K
// It charges payments with the caller's key and retries the charge itself
// after no answer or a 5xx (at most 3 attempts, 100 ms then 200 ms apart),
// but it makes each attempt's key unique ("K-2", "K-3": a request id, not an
// idempotency key), so a retry after a charge whose answer was lost charges
// again. It prints the order it stands for, without a top-level id: a long
// body whose last field names the charge. The fix (fixed.mjs): send K as it
// is. (Issue 13, class 9: when two concurrent calls disagree, the messages
// must say which call committed which charge, and where two such bodies differ.)
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
const order = (charge) => ({ amount: Number(opt.amount), currency: 'eur', note: 'zoo 28: one order, one charge per idempotency key', charge });
const keyFor = (attempt) => (attempt === 1 ? opt['idempotency-key'] : `${opt['idempotency-key']}-${attempt}`); // BUG: a new key per attempt

let status = null;
for (let attempt = 1; attempt <= 3; attempt += 1) {
  if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 100 * (attempt - 1)));
  const { replayed, answer, ...got } = await post('/charges', { amount: Number(opt.amount) }, { 'idempotency-key': keyFor(attempt) });
  status = got.status;
  if (status < 300 && answer?.id) out(0, { effect: replayed && attempt === 1 ? 'noop' : 'created', order: order(answer.id) });
  if (status !== null && status < 500) break;
}
if (status === 422) out(3, { effect: 'none', error: 'the key was used with another amount' });
if (status === 409) out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (status >= 400 && status < 500 && status !== 429) out(1, { effect: 'none', error: `refused: HTTP ${status}` });
out(75, { effect: 'unknown', error: `gave up (last: ${status ?? 'no answer'}): the charge may or may not have gone through` });
