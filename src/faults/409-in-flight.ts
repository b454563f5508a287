import { errorResponse, type Fault } from './fault.js';

/**
 * The IETF idempotency-key draft's 409: "a request with this key is still
 * being processed". Nothing was done; the client may ask again, after a wait
 * (`Retry-After` with `retryAfterSeconds`).
 */
export const inFlight: Fault = {
  name: '409-in-flight',
  commits: false,
  words: '409 key in flight',
  clientSees: '409: a request with this key is still being processed; nothing was done',
  outcome: (_response, params, errorBody) => ({
    kind: 'respond',
    response: errorResponse(
      409,
      'a request with this key is still being processed',
      params.retryAfterSeconds !== undefined && params.retryAfterSeconds !== null ? { 'retry-after': String(params.retryAfterSeconds) } : {},
      errorBody,
    ),
  }),
};
