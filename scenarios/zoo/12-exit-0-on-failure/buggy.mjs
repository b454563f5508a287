#!/usr/bin/env node
// Bug zoo 12, BUGGY: exits 0 when the operation failed.
//   create-order --amount N --idempotency-key K
// One charge with the caller's key (payments deduplicates). It prints the
// right effect (none, unknown) but always exits 0, so a caller that goes by
// the exit status takes a refusal for a success. The fix (fixed.mjs): exit
// 1 refused, 3 the key with another amount, 4 in flight, 75 unknown.
import { parseArgs } from 'node:util';
import { postJson } from '../lib/post-json.mjs';

const { values: opt } = parseArgs({
  options: { amount: { type: 'string' }, 'idempotency-key': { type: 'string' } },
  allowPositionals: true,
});
const out = (code, result) => {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
};

/** POSTs JSON to payments: {status, replayed, answer}; status null when no answer came (refused, reset, timed out). */
const post = (path, body, headers) => postJson(`${process.env.PAYMENTS_URL}${path}`, body, headers, Number(process.env.REQUEST_TIMEOUT_MS ?? 800));

const headers = { 'idempotency-key': opt['idempotency-key'] };
const { status, replayed, answer } = await post('/charges', { amount: Number(opt.amount) }, headers);
if (status === null) out(75, { effect: 'unknown', error: 'no answer: the charge may or may not have gone through' });
if (status < 300 && answer?.id) out(0, { effect: replayed ? 'noop' : 'created', id: answer.id });
if (status === 422) out(3, { effect: 'none', error: 'the key was used with another payload' });
if (status === 409) out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (status >= 400 && status < 500 && status !== 429) out(1, { effect: 'none', error: `refused: HTTP ${status}` });
out(75, { effect: 'unknown', error: `HTTP ${status}: the charge may or may not have gone through` });
