import { errorResponse, type Fault } from './fault.js';

/**
 * The Retry-After a 503 before commit sends unless its parameters say otherwise
 * (`retryAfterSeconds: N`, or null for none): with a header by default, every
 * scenario judges whether the target honours Retry-After without asking for it.
 * One second: the smallest whole value the header can say above 0 (a client
 * honouring it costs the suite one second per 503), long enough that a client
 * ignoring it stands out from scheduling noise (retryPolicy.retryAfterToleranceMs).
 */
export const DEFAULT_503_RETRY_AFTER_SECONDS = 1;

export const unavailableBeforeCommit: Fault = {
  name: '503-before-commit',
  commits: false,
  words: '503 before commit',
  clientSees: '503 with Retry-After (1 s unless retryAfterSeconds says otherwise); nothing was done',
  outcome: (_response, params, errorBody) => {
    const seconds = params.retryAfterSeconds === undefined ? DEFAULT_503_RETRY_AFTER_SECONDS : params.retryAfterSeconds;
    return {
      kind: 'respond',
      response: errorResponse(503, 'service unavailable', seconds === null ? {} : { 'retry-after': String(seconds) }, errorBody),
    };
  },
};
