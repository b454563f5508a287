#!/usr/bin/env node
// Bug zoo 08, BUGGY: retries a 400/422.
//   create-order --amount N --idempotency-key K
// The tool retries a charge itself (3 attempts, backing off, one key): after
// no answer, a 5xx, and also after a 4xx, though a 400 or a 422 says the
// request itself is wrong: the same request gets the same answer, or, when
// the refusal was transient, goes through on a retry the caller never asked
// for. The fix (fixed.mjs): retry only no answer and 5xx.
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

const retryable = (status) => status === null || status >= 400;

let status = null;
for (let attempt = 1; attempt <= 3; attempt += 1) {
  if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 100 * 3 ** (attempt - 2)));
  const { replayed, answer, ...got } = await post('/charges', { amount: Number(opt.amount) }, { 'idempotency-key': opt['idempotency-key'] });
  status = got.status;
  if (status < 300 && answer?.id) out(0, { effect: replayed && attempt === 1 ? 'noop' : 'created', id: answer.id });
  if (!retryable(status)) break;
}
if (status === 422) out(3, { effect: 'none', error: 'the key was used with another amount' });
if (status === 409) out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (status >= 400 && status < 500 && status !== 429) out(1, { effect: 'none', error: `refused: HTTP ${status}` });
out(75, { effect: 'unknown', error: `gave up (last: ${status ?? 'no answer'}): the charge may or may not have gone through` });
