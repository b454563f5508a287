// Creates one record with fetch inside p-retry.
//   careless  throws on !response.ok, AbortError only on 404 (the README's example), no key
//   keyed     the caller's key as Idempotency-Key on every attempt; AbortError on 4xx but 409/429
import { parseArgs } from 'node:util';
import pRetry, { AbortError } from 'p-retry';

const { values } = parseArgs({
  options: { mode: { type: 'string' }, amount: { type: 'string' }, 'idempotency-key': { type: 'string' } },
});
if (!['careless', 'keyed'].includes(values.mode)) throw new Error(`unknown --mode ${values.mode}`);
const headers = { 'content-type': 'application/json' };
if (values.mode === 'keyed') headers['idempotency-key'] = values['idempotency-key'];
const body = JSON.stringify({ amount: Number(values.amount), currency: 'eur' });

const run = async () => {
  const response = await fetch(`${process.env.API_URL}/charges`, { method: 'POST', headers, body, signal: AbortSignal.timeout(1000) });
  if (values.mode === 'careless' && response.status === 404) throw new AbortError(response.statusText);
  if (values.mode === 'keyed' && response.status >= 400 && response.status < 500 && response.status !== 409 && response.status !== 429) {
    throw new AbortError(`HTTP ${response.status}`);
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
};

try {
  const record = await pRetry(run, { retries: 2, minTimeout: 100 });
  console.log(JSON.stringify({ id: record.id, amount: record.amount }));
} catch (error) {
  console.log(JSON.stringify({ error: `${error.name}: ${error.message}` }));
  process.exit(1);
}
