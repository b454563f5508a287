// Sends one email through a mailer API with axios and axios-retry.
//   default     axiosRetry(client, { retries: 3 }) as in the README
//   retry-post  retryCondition: isRetryableError (any method), exponentialDelay
import { parseArgs } from 'node:util';
import axios from 'axios';
import axiosRetry, { isRetryableError, exponentialDelay } from 'axios-retry';

const { values } = parseArgs({ options: { mode: { type: 'string' }, to: { type: 'string' } } });
const client = axios.create({ baseURL: process.env.MAILER_URL, timeout: 1000 });
if (values.mode === 'default') axiosRetry(client, { retries: 3 });
else if (values.mode === 'retry-post') axiosRetry(client, { retries: 3, retryCondition: isRetryableError, retryDelay: exponentialDelay });
else throw new Error(`unknown --mode ${values.mode}`);

try {
  const response = await client.post('/messages', { to: values.to, subject: 'Your order' });
  console.log(JSON.stringify({ id: response.data?.id ?? null, status: response.status }));
} catch (error) {
  console.log(JSON.stringify({ error: `${error.code ?? ''} ${error.message}`.trim() }));
  process.exit(1);
}
