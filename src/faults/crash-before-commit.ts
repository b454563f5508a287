import type { Fault } from './fault.js';

/** The target dies with its request in flight, before the upstream did anything. */
export const crashBeforeCommit: Fault = {
  name: 'crash-before-commit',
  commits: false,
  words: 'target killed before commit',
  clientSees: 'nothing: the target process is SIGKILLed when the request arrives',
  outcome: () => ({ kind: 'crash' }),
};
