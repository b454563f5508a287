import type { Fault } from './fault.js';

/** The classic duplicate charge: the work is done, the answer never comes. */
export const timeoutAfterCommit: Fault = {
  name: 'timeout-after-commit',
  commits: true,
  words: 'timeout after commit',
  clientSees: 'nothing: the work was done, the connection is held until the client gives up',
  outcome: () => ({ kind: 'hold' }),
};
