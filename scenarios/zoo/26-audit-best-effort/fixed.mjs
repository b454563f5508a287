#!/usr/bin/env node
// Bug zoo 26, FIXED: an order is done only once its audit record is written.
//   create-order --amount N --idempotency-key K
// Two upstream calls, both with the caller's key: payments charges (and
// deduplicates: a retry gets the first charge back), then the audit log
// records the charge (and deduplicates too). When the audit record cannot be
// written the tool exits 75, effect unknown: the order is not finished, and
// running it again with the same key finishes it. (Issue 13, class 7: killed
// between the two calls and never run again, it leaves a charge without its
// record; no client can make two upstreams atomic against SIGKILL, but
// no-lost-effects called that partial state lost.)
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
/** POSTs JSON: {status, replayed, answer}; status null when no answer came (refused, reset, timed out). */
const post = (url, body, headers) => postJson(url, body, headers, Number(process.env.REQUEST_TIMEOUT_MS ?? 800));

const key = opt['idempotency-key'];
const amount = Number(opt.amount);
const charge = await post(`${process.env.PAYMENTS_URL}/charges`, { amount }, { 'idempotency-key': key });
const { status } = charge;
if (status === null) out(75, { effect: 'unknown', error: 'no answer from payments: the charge may or may not have gone through' });
if (status === 422) out(3, { effect: 'none', error: 'the key was used with another amount' });
if (status === 409) out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (status >= 400 && status < 500 && status !== 429) out(1, { effect: 'none', error: `refused: HTTP ${status}` });
if (status >= 300 || !charge.answer?.id) out(75, { effect: 'unknown', error: `payments: HTTP ${status}; the charge may or may not have gone through` });
const id = charge.answer.id;

const audit = await post(`${process.env.AUDIT_URL}/records`, { charge: id, amount }, { 'idempotency-key': key });
if (audit.status === null || audit.status >= 300) {
  out(75, { effect: 'unknown', id, error: `charged (${id}), but the audit record was not written (${audit.status ?? 'no answer'}); run again with the same key to finish` });
}
out(0, { effect: charge.replayed && audit.replayed ? 'noop' : 'created', id });
