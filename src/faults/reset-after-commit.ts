import type { Fault } from './fault.js';

/** The dropped response: the work is done, the connection dies before any byte. */
export const resetAfterCommit: Fault = {
  name: 'reset-after-commit',
  commits: true,
  words: 'connection reset after commit',
  clientSees: 'the connection destroyed before any byte, although the work was done',
  outcome: () => ({ kind: 'reset' }),
};
