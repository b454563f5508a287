// A Stripe-like /v1/charges for the stripe SDK, which sends form-encoded bodies
// (the built-in `resource` model takes JSON only). It keeps Stripe's
// idempotency rules: a repeated Idempotency-Key is answered from the stored
// response (`Idempotent-Replayed: true`), the key with other parameters gets
// 400 idempotency_error, a key still in flight gets 409.
import { http, HttpResponse } from 'msw';

export default function stripeCharges({ recordEffect, recordReplay, recordRejection }) {
  let sequence = 0;
  const keys = new Map(); // key -> { params, response? }
  const idempotencyError = (status, message) => {
    recordRejection();
    return HttpResponse.json({ error: { type: 'idempotency_error', message } }, { status });
  };
  return [
    http.post('/v1/charges', async ({ request }) => {
      const params = new URLSearchParams(await request.text());
      const body = Object.fromEntries([...params.entries()].sort(([a], [b]) => a.localeCompare(b)));
      const canonical = JSON.stringify(body);
      const key = request.headers.get('idempotency-key');
      const stored = key ? keys.get(key) : undefined;
      if (stored && stored.params !== canonical) return idempotencyError(400, 'Keys for idempotent requests can only be used with the same parameters they were first used with.');
      if (stored && !stored.response) return idempotencyError(409, 'There is currently another in-progress request using this Idempotent Key.');
      if (stored) {
        recordReplay();
        return HttpResponse.json(stored.response, { status: 200, headers: { 'idempotent-replayed': 'true' } });
      }
      const entry = { params: canonical };
      if (key) keys.set(key, entry);
      sequence += 1;
      const charge = { id: `ch_${sequence}`, object: 'charge', amount: Number(body.amount), currency: body.currency, paid: true, status: 'succeeded' };
      recordEffect({ route: 'POST /v1/charges', resourceId: charge.id, body });
      entry.response = charge;
      return HttpResponse.json(charge, { status: 200 });
    }),
  ];
}
