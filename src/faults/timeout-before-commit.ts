import type { Fault } from './fault.js';

export const timeoutBeforeCommit: Fault = {
  name: 'timeout-before-commit',
  commits: false,
  words: 'timeout before commit',
  clientSees: 'nothing: the connection is held until the client gives up',
  outcome: () => ({ kind: 'hold' }),
};
