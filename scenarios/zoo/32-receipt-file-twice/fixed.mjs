#!/usr/bin/env node
// Bug zoo 32, FIXED: one receipt per key, written whole.
//   create-order --amount N --idempotency-key K
// The receipt is receipts/<key>.json, looked for before acting: a receipt of
// the same amount answers a replay (noop), another amount is refused. It is
// written only once payments answered with a charge, to a temporary file that
// is renamed into place, so no reader (and no retry) ever sees half of it.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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
const key = opt['idempotency-key'];
const amount = Number(opt.amount);
const dir = `${process.env.OUT_DIR}/receipts`;
mkdirSync(dir, { recursive: true });
const file = `${dir}/${key}.json`;

let receipt = null;
try {
  receipt = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  // no receipt yet
}
if (receipt && receipt.amount !== amount) out(3, { effect: 'none', error: 'the key was used with another amount' });
if (receipt) out(0, { effect: 'noop', id: receipt.charge });

const { status, replayed, answer } = await postJson(`${process.env.PAYMENTS_URL}/charges`, { amount }, { 'idempotency-key': key }, Number(process.env.REQUEST_TIMEOUT_MS ?? 800));
if (status !== null && status < 300 && answer?.id) {
  writeFileSync(`${file}.${process.pid}.tmp`, `{"amount": ${amount}, "charge": "${answer.id}"}\n`);
  renameSync(`${file}.${process.pid}.tmp`, file);
  out(0, { effect: replayed ? 'noop' : 'created', id: answer.id });
}
if (status === 422) out(3, { effect: 'none', error: 'the key was used with another amount' });
if (status === 409) out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (status !== null && status >= 400 && status < 500 && status !== 429) out(1, { effect: 'none', error: `refused: HTTP ${status}` });
out(75, { effect: 'unknown', error: `no answer from payments (${status}): the charge may or may not have gone through` });
