import { describeEffect, effectsOfRequests, fail, pass, requestsOf, skip, type Check } from '../check.js';

/**
 * The same key with a different payload (the probe:key-mismatch case's
 * 'mismatch' invocation, sent after a success) commits nothing. Whether the
 * target refused it in words (a failure exit, 422) is the contract check
 * key-mismatch-rejected's business.
 */
export const mismatchCommitsNothing: Check = {
  name: 'mismatch-commits-nothing',
  holdsWhen: 'the same key with a different payload commits nothing',
  evaluate({ operation, rows, schedule }) {
    const mismatch = rows.invocations.find((invocation) => invocation.role === 'mismatch');
    if (!mismatch) {
      return skip(
        this.name,
        schedule.caller.mismatch
          ? `${operation}: the mismatch was never sent (it follows a success, and no attempt succeeded)`
          : `${operation}: not a key-mismatch probe (no invocation reused the key with another payload)`,
      );
    }
    const committed = effectsOfRequests(rows, requestsOf(rows, mismatch.id));
    if (committed.length === 0) return pass(this.name, `${operation}: the same key ${mismatch.key} with a different payload committed nothing`);
    return fail(this.name, `${operation}: the same key ${mismatch.key} with a different payload (invocation ${mismatch.id}) committed ${committed.map(describeEffect).join('; ')}`, {
      invocations: [mismatch.id],
      requests: committed.map((effect) => effect.requestId),
      effects: committed.map((effect) => effect.id),
    });
  },
};
