// Creates one charge with the official stripe SDK, the way its README does,
// against STRIPE_URL. --mode picks the configuration (see scenarios/real/README.md):
//   caller-key   SDK defaults; the caller's key as the idempotencyKey request option
//   auto-keys    SDK defaults; no key given (the SDK adds its automatic one)
//   outer-retry  maxNetworkRetries 0, an async-retry loop around the call, no key
// Prints the charge as JSON and exits 0, or prints the error and exits 1.
import { parseArgs } from 'node:util';
import Stripe from 'stripe';
import retry from 'async-retry';

const { values } = parseArgs({
  options: { mode: { type: 'string' }, amount: { type: 'string' }, 'idempotency-key': { type: 'string' } },
});
const url = new URL(process.env.STRIPE_URL);
// host/port/protocol point the SDK at the mock; timeout 1 s instead of 80 s so held requests end quickly.
const config = { host: url.hostname, port: Number(url.port), protocol: 'http', timeout: 1000 };
const params = { amount: Number(values.amount), currency: 'eur', description: 'order' };

try {
  let charge;
  if (values.mode === 'caller-key') {
    const stripe = new Stripe('sk_test_retryproof', config);
    charge = await stripe.charges.create(params, { idempotencyKey: values['idempotency-key'] });
  } else if (values.mode === 'auto-keys') {
    const stripe = new Stripe('sk_test_retryproof', config);
    charge = await stripe.charges.create(params);
  } else if (values.mode === 'outer-retry') {
    const stripe = new Stripe('sk_test_retryproof', { ...config, maxNetworkRetries: 0 });
    charge = await retry(() => stripe.charges.create(params), { retries: 2, minTimeout: 100 });
  } else {
    throw new Error(`unknown --mode ${values.mode}`);
  }
  console.log(JSON.stringify({ id: charge.id, amount: charge.amount, status: charge.status }));
} catch (error) {
  console.log(JSON.stringify({ error: `${error.type ?? error.name}: ${error.message}` }));
  process.exit(1);
}
