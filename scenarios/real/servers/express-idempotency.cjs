// An orders API on express with express-idempotency, set up as its README says:
// the middleware on POST routes, and the handler returns early on a hit.
// POST /orders charges PAYMENTS_URL (which does not deduplicate; the key is not
// forwarded, unless FORWARD_KEY=1 sends the caller's Idempotency-Key on) and
// answers 201 with the charge, or 502 when payments failed.
//   --mode default         the in-memory adapter and the default response validator (2xx kept)
//   --mode persist-errors  a responseValidator that keeps every answer (documented option)
const express = require('express');
const { idempotency, getSharedIdempotencyService } = require('express-idempotency');

const mode = process.argv[process.argv.indexOf('--mode') + 1];
if (!['default', 'persist-errors'].includes(mode)) throw new Error(`unknown --mode ${mode}`);
const options = mode === 'persist-errors' ? { responseValidator: { isValidForPersistence: () => true } } : undefined;

const app = express();
app.use(express.json());
app.get('/health', (req, res) => res.json({ ok: true }));
app.post('*', idempotency(options));
app.post('/orders', async (req, res) => {
  const idempotencyService = getSharedIdempotencyService();
  if (idempotencyService.isHit(req)) return;
  try {
    const response = await fetch(`${process.env.PAYMENTS_URL}/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(process.env.FORWARD_KEY === '1' ? { 'idempotency-key': req.get('idempotency-key') } : {}) },
      body: JSON.stringify({ amount: req.body.amount, currency: req.body.currency }),
      signal: AbortSignal.timeout(1000),
    });
    if (!response.ok) throw new Error(`payments answered ${response.status}`);
    const charge = await response.json();
    res.status(201).json({ id: charge.id, amount: charge.amount, status: 'paid' });
  } catch (error) {
    res.status(502).json({ error: `payment failed: ${error.message}` });
  }
});
app.listen(Number(process.env.PORT), '127.0.0.1');
