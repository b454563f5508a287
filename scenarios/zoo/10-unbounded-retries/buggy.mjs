#!/usr/bin/env node
// Bug zoo 10, BUGGY: retries without bound.
//   create-order --amount N --idempotency-key K
// It retries a charge itself after no answer or a 5xx (one key, backing off
// to 0.4 s), and never gives up: against an upstream that stays down it loops
// until something kills it. The fix (fixed.mjs): at most 2 attempts, then
// report the outcome as unknown and leave the next try to the caller.
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

let status = null;
for (let attempt = 1; ; attempt += 1) {
  if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 3 ** (attempt - 2), 400)));
  const { replayed, answer, ...got } = await post('/charges', { amount: Number(opt.amount) }, { 'idempotency-key': opt['idempotency-key'] });
  status = got.status;
  if (status < 300 && answer?.id) out(0, { effect: replayed && attempt === 1 ? 'noop' : 'created', id: answer.id });
  if (status !== null && status < 500) break;
}
if (status === 422) out(3, { effect: 'none', error: 'the key was used with another amount' });
if (status === 409) out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (status >= 400 && status < 500 && status !== 429) out(1, { effect: 'none', error: `refused: HTTP ${status}` });
out(75, { effect: 'unknown', error: `gave up (last: ${status ?? 'no answer'}): the charge may or may not have gone through` });
