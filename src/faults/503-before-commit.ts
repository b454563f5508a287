import { errorResponse, type Fault } from './fault.js';

export const unavailableBeforeCommit: Fault = {
  name: '503-before-commit',
  commits: false,
  words: '503 before commit',
  clientSees: '503, optional Retry-After; nothing was done',
  outcome: (_response, params, errorBody) => ({
    kind: 'respond',
    response: errorResponse(
      503,
      'service unavailable',
      params.retryAfterSeconds !== undefined ? { 'retry-after': String(params.retryAfterSeconds) } : {},
      errorBody,
    ),
  }),
};
