#!/usr/bin/env node
// Bug zoo 26, BUGGY: an order is reported done though its audit record was not written.
//   create-order --amount N --idempotency-key K
// Two upstream calls, both with the caller's key: payments charges (and
// deduplicates: a retry gets the first charge back), then the audit log
// records the charge (and deduplicates too). The bug: the audit record is
// treated as best effort; when it cannot be written the tool still exits 0,
// effect created, and nobody runs it again to write the record. The fix
// (fixed.mjs): exit 75, effect unknown: the order is not finished, and
// running it again with the same key finishes it.
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
// BUG: the audit record is best effort; a failed write is not reported
out(0, { effect: charge.replayed && audit.replayed ? 'noop' : 'created', id });
