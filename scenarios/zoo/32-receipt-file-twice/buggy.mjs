#!/usr/bin/env node
// Bug zoo 32, BUGGY: a receipt file written in place, a new one on every run.
//   create-order --amount N --idempotency-key K
// It opens receipts/<new uuid>.json, writes the first half of the receipt,
// charges payments (with the caller's key: payments deduplicates), then writes
// the rest. Every run writes a new file without looking for the last one, and
// a run that loses its answer leaves a half-written file behind: a retry, a
// replay and a concurrent duplicate each leave one more receipt. The fix
// (fixed.mjs): the file is named by the key and looked for before acting, and
// written whole to a temporary file, then renamed.
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
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

const fd = openSync(`${dir}/${randomUUID()}.json`, 'w');
writeSync(fd, `{"amount": ${amount}, `);
const { status, replayed, answer } = await postJson(`${process.env.PAYMENTS_URL}/charges`, { amount }, { 'idempotency-key': key }, Number(process.env.REQUEST_TIMEOUT_MS ?? 800));
if (status !== null && status < 300 && answer?.id) {
  writeSync(fd, `"charge": "${answer.id}"}\n`);
  closeSync(fd);
  out(0, { effect: replayed ? 'noop' : 'created', id: answer.id });
}
if (status === 422) out(3, { effect: 'none', error: 'the key was used with another amount' });
if (status === 409) out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (status !== null && status >= 400 && status < 500 && status !== 429) out(1, { effect: 'none', error: `refused: HTTP ${status}` });
out(75, { effect: 'unknown', error: `no answer from payments (${status}): the charge may or may not have gone through` });
