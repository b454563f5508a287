#!/usr/bin/env node
// Bug zoo 06, BUGGY: state saved before the upstream call succeeds.
//   create-order --amount N --idempotency-key K
// A state file per key answers a replay (noop) and refuses the key with
// another amount. The key goes to payments, which deduplicates. But the file
// is written before the charge: when the charge fails, the caller's retry
// finds "done" and reports noop for a charge that never happened: a lost
// effect. The fix (fixed.mjs): save only once payments said yes.
import { createHash } from 'node:crypto';
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

/** POSTs JSON to payments: {status, replayed, answer}; status null when no answer came (refused, reset, timed out). */
const post = (path, body, headers) => postJson(`${process.env.PAYMENTS_URL}${path}`, body, headers, Number(process.env.REQUEST_TIMEOUT_MS ?? 800));

const key = opt['idempotency-key'];
const amount = Number(opt.amount);
const payload = createHash('sha256').update(JSON.stringify({ amount })).digest('hex');
mkdirSync(process.env.STATE_DIR, { recursive: true });
const file = `${process.env.STATE_DIR}/${key}.json`;
const save = (state) => {
  writeFileSync(`${file}.${process.pid}`, JSON.stringify(state));
  renameSync(`${file}.${process.pid}`, file);
};
let state = null;
try {
  state = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  // no state yet
}
if (state && state.payload !== payload) out(3, { effect: 'none', error: 'the key was used with another amount' });
if (state) out(0, { effect: 'noop', id: state.id });

save({ payload, id: null });
const { status, replayed, answer } = await post('/charges', { amount }, { 'idempotency-key': key });
if (status === null) out(75, { effect: 'unknown', error: 'no answer: the charge may or may not have gone through' });
if (status < 300 && answer?.id) {
  save({ payload, id: answer.id });
  out(0, { effect: replayed ? 'noop' : 'created', id: answer.id });
}
if (status === 422) out(3, { effect: 'none', error: 'the key was used with another amount' });
if (status === 409) out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (status >= 400 && status < 500 && status !== 429) out(1, { effect: 'none', error: `refused: HTTP ${status}` });
out(75, { effect: 'unknown', error: `HTTP ${status}: the charge may or may not have gone through` });
