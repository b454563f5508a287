import type { Fault } from './fault.js';

/** The status line and headers arrive, then half the body, then the connection dies. */
export const truncateAfterCommit: Fault = {
  name: 'truncate-after-commit',
  commits: true,
  words: 'response truncated after commit',
  clientSees: 'the status and part of the body, then a reset',
  outcome: (response, params) => ({ kind: 'truncate', response: response!, bytes: params.truncateBytes ?? 8 }),
};
