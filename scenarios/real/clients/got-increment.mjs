// Adds one to a counter with got.
//   default     got's default retry (limit 2; methods GET PUT HEAD DELETE OPTIONS TRACE)
//   retry-post  retry.methods with POST added
import { parseArgs } from 'node:util';
import got from 'got';

const { values } = parseArgs({ options: { mode: { type: 'string' } } });
const options = { json: { by: 1 }, responseType: 'json', timeout: { request: 1000 } };
if (values.mode === 'retry-post') options.retry = { limit: 2, methods: ['GET', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'POST'] };
else if (values.mode !== 'default') throw new Error(`unknown --mode ${values.mode}`);

try {
  const response = await got.post(`${process.env.COUNTER_URL}/counter`, options);
  console.log(JSON.stringify({ value: response.body?.value ?? null }));
} catch (error) {
  console.log(JSON.stringify({ error: `${error.code ?? error.name}: ${error.message}` }));
  process.exit(1);
}
