import { errorResponse, type Fault } from './fault.js';

/**
 * A permanent refusal (400 by default; 401, 403, 404 or 422 by parameter):
 * not in DESIGN's catalog of network faults, but the input no-retry-on-permanent
 * needs — a correct client does not send the same request again.
 */
export const permanentError: Fault = {
  name: 'permanent-error',
  commits: false,
  words: 'permanent error',
  clientSees: 'a 4xx that retrying cannot fix; nothing was done',
  outcome: (_response, params, errorBody) => ({
    kind: 'respond',
    response: errorResponse(params.status ?? 400, 'permanent error: the request is invalid', {}, errorBody),
  }),
};
