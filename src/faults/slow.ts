import type { Fault } from './fault.js';

/** Late but within the client's timeout: a correct client just waits. */
export const slow: Fault = {
  name: 'slow',
  commits: true,
  words: 'slow response',
  clientSees: 'the normal response, late but within the client timeout',
  outcome: (response, params) => ({ kind: 'respond', response: response!, delayMs: params.delayMs ?? 100 }),
};
