import type { Fault } from './fault.js';

export const resetBeforeCommit: Fault = {
  name: 'reset-before-commit',
  commits: false,
  words: 'connection reset before commit',
  clientSees: 'the connection destroyed before any byte; nothing was done',
  outcome: () => ({ kind: 'reset' }),
};
