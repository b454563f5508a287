import { describeEffect, effectsOfRequests, fail, pass, requestsOf, skip, type Check } from '../check.js';

/**
 * Re-running a completed operation with the same key (the 'replay'
 * invocation, sent after a success) commits nothing: no effect comes from the
 * requests attributed to it. What the replay says about itself (noop, the
 * first answer) is the contract check replay-is-noop's business.
 */
export const replayCommitsNothing: Check = {
  name: 'replay-commits-nothing',
  holdsWhen: 're-running a completed operation with the same key commits nothing',
  evaluate({ operation, rows }) {
    const replay = rows.invocations.find((invocation) => invocation.role === 'replay');
    if (!replay) return skip(this.name, `${operation}: no replay (the operation never succeeded, or replay is off)`);
    const requests = requestsOf(rows, replay.id);
    const committed = effectsOfRequests(rows, requests);
    if (committed.length === 0) {
      return pass(this.name, `${operation}: the replay with key ${replay.key} committed nothing (${requests.length} upstream request${requests.length === 1 ? '' : 's'})`);
    }
    return fail(this.name, `${operation}: the replay with key ${replay.key} (invocation ${replay.id}) committed ${committed.map(describeEffect).join('; ')}`, {
      invocations: [replay.id],
      requests: committed.map((effect) => effect.requestId),
      effects: committed.map((effect) => effect.id),
    });
  },
};
