import { errorResponse, type Fault } from './fault.js';

export const tooManyRequests: Fault = {
  name: '429-retry-after',
  commits: false,
  words: '429 with Retry-After',
  clientSees: '429 with a Retry-After header; nothing was done',
  outcome: (_response, params, errorBody) => ({
    kind: 'respond',
    response: errorResponse(429, 'too many requests', params.retryAfterSeconds === null ? {} : { 'retry-after': String(params.retryAfterSeconds ?? 1) }, errorBody),
  }),
};
