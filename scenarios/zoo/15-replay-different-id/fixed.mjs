#!/usr/bin/env node
// Bug zoo 15, FIXED: a replay reports the id of what the first run created.
//   create-order --amount N --idempotency-key K
// One charge with the caller's key (payments deduplicates and replays its
// first answer). The id it reports is the charge's, so a replay says noop
// with the same id as the run that created it.
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

const idOf = (charge) => charge.id;
const headers = { 'idempotency-key': opt['idempotency-key'] };
const { status, replayed, answer } = await post('/charges', { amount: Number(opt.amount) }, headers);
if (status === null) out(75, { effect: 'unknown', error: 'no answer: the charge may or may not have gone through' });
if (status < 300 && answer?.id) out(0, { effect: replayed ? 'noop' : 'created', id: idOf(answer) });
if (status === 422) out(3, { effect: 'none', error: 'the key was used with another payload' });
if (status === 409) out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (status >= 400 && status < 500 && status !== 429) out(1, { effect: 'none', error: `refused: HTTP ${status}` });
out(75, { effect: 'unknown', error: `HTTP ${status}: the charge may or may not have gone through` });
