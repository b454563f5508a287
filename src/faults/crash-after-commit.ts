import type { Fault } from './fault.js';

/** The harness owns the upstream, so it knows the moment of commit and kills the target right then. */
export const crashAfterCommit: Fault = {
  name: 'crash-after-commit',
  commits: true,
  words: 'target killed right after commit',
  clientSees: 'nothing: the target process is SIGKILLed the moment the upstream commits',
  outcome: () => ({ kind: 'crash' }),
};
