#!/usr/bin/env node
// Bug zoo 17, FIXED: every result says what happened, in `effect`.
//   create-order --amount N --idempotency-key K
// One charge with the caller's key (payments deduplicates). On success it
// prints {effect: created | noop, id}: a replay is told apart from a new charge.
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: { amount: { type: 'string' }, 'idempotency-key': { type: 'string' } },
  allowPositionals: true,
});
const out = (code, result) => {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(code);
};

const headers = { 'content-type': 'application/json', 'idempotency-key': opt['idempotency-key'] };
let res;
let answer = null;
try {
  res = await fetch(`${process.env.PAYMENTS_URL}/charges`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ amount: Number(opt.amount) }),
    signal: AbortSignal.timeout(Number(process.env.REQUEST_TIMEOUT_MS ?? 800)),
  });
  answer = await res.json();
} catch (error) {
  if (!res) out(75, { effect: 'unknown', error: `no answer: ${error.message}` });
}
if (res.ok && answer?.id) out(0, { effect: res.headers.get('idempotent-replayed') === 'true' ? 'noop' : 'created', id: answer.id });
if (res.status === 422) out(3, { effect: 'none', error: 'the key was used with another payload' });
if (res.status === 409) out(4, { effect: 'none', error: 'a request with this key is still in flight' });
if (res.status >= 400 && res.status < 500 && res.status !== 429) out(1, { effect: 'none', error: `refused: HTTP ${res.status}` });
out(75, { effect: 'unknown', error: `HTTP ${res.status}: the charge may or may not have gone through` });
