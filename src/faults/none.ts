import type { Fault } from './fault.js';

export const none: Fault = {
  name: 'none',
  commits: true,
  words: 'no fault',
  clientSees: 'the normal response',
  outcome: (response) => ({ kind: 'respond', response: response! }),
};
