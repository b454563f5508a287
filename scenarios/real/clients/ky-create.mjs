// Creates one record with ky.
//   default           ky's default retry (limit 2; methods without POST)
//   retry-post        retry { limit: 2, methods: ['post'] }, no key
//   retry-post-keyed  the same, with the caller's key as Idempotency-Key
import { parseArgs } from 'node:util';
import ky from 'ky';

const { values } = parseArgs({
  options: { mode: { type: 'string' }, amount: { type: 'string' }, 'idempotency-key': { type: 'string' } },
});
const options = { json: { amount: Number(values.amount), currency: 'eur' }, timeout: 1000 };
if (values.mode === 'retry-post' || values.mode === 'retry-post-keyed') options.retry = { limit: 2, methods: ['post'] };
if (values.mode === 'retry-post-keyed') options.headers = { 'Idempotency-Key': values['idempotency-key'] };
else if (!['default', 'retry-post'].includes(values.mode)) throw new Error(`unknown --mode ${values.mode}`);

try {
  const record = await ky.post(`${process.env.API_URL}/charges`, options).json();
  console.log(JSON.stringify({ id: record.id, amount: record.amount }));
} catch (error) {
  console.log(JSON.stringify({ error: `${error.name}: ${error.message}` }));
  process.exit(1);
}
