import { errorResponse, type Fault } from './fault.js';

export const internalErrorAfterCommit: Fault = {
  name: '500-after-commit',
  commits: true,
  words: '500 after commit',
  clientSees: '500, although the work was done',
  outcome: (_response, _params, errorBody) => ({ kind: 'respond', response: errorResponse(500, 'internal server error', {}, errorBody) }),
};
