import { none } from './none.js';
import type { Fault } from './fault.js';

/**
 * A restart (a deploy, a graceful stop) between the answer and the retry:
 * the upstream commits and answers normally; then, before the caller's next
 * invocation (its retry or its replay), the API the harness started is
 * stopped gracefully (SIGTERM to its process group, waited for, SIGKILL after
 * a grace) and started again. Bound to an upstream request ordinal like every
 * fault; the restart applies whatever the model answered, and not at all when
 * the caller invokes nothing more. In-memory state is gone; state on disk is not.
 * Only for http targets with `start` (commands are a fresh process anyway).
 */
export const restartAfterCommit: Fault = {
  name: 'restart-after-commit',
  commits: true,
  restartsTarget: true,
  words: 'target restarted after commit',
  clientSees: 'the normal response; the API is stopped gracefully and started again before the next invocation',
  outcome: (response, params) => none.outcome(response, params),
};
