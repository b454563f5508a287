import { errorResponse, type Fault } from './fault.js';

/** The work was done; the answer says it was not. */
export const unavailableAfterCommit: Fault = {
  name: '503-after-commit',
  commits: true,
  words: '503 after commit',
  clientSees: '503, although the work was done',
  outcome: (_response, _params, errorBody) => ({ kind: 'respond', response: errorResponse(503, 'service unavailable', {}, errorBody) }),
};
