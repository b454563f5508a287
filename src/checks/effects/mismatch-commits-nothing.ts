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
  evaluate({ operation, rows, schedule, baseline }) {
    const mismatch = rows.invocations.find((invocation) => invocation.role === 'mismatch');
    if (!mismatch) {
      return skip(
        this.name,
        schedule.caller.mismatch
          ? `${operation}: the mismatch was never sent (it follows a success, and no attempt succeeded)`
          : `${operation}: not a key-mismatch probe (no invocation reused the key with another payload)`,
      );
    }
    const attributed = effectsOfRequests(rows, requestsOf(rows, mismatch.id));
    // An effect with the original payload's fingerprint (the clean run's) is a repeat of the first request, not the
    // mismatch's payload: a target's late work that fell into the mismatch's time on a loaded machine (zoo 20 under load).
    // Counting it is no-duplicate-effects' business, which fails on it; a mismatched payload shows in the fingerprint.
    const original = new Set(baseline.effects.map((effect) => effect.fingerprint));
    const repeats = attributed.filter((effect) => original.has(effect.fingerprint));
    const committed = attributed.filter((effect) => !original.has(effect.fingerprint));
    if (committed.length === 0) {
      const aside = repeats.length > 0 ? ` (${repeats.map(describeEffect).join('; ')} carried the original payload: a repeat of the first request, judged by no-duplicate-effects)` : '';
      return pass(this.name, `${operation}: the same key ${mismatch.key} with a different payload committed nothing${aside}`);
    }
    return fail(this.name, `${operation}: the same key ${mismatch.key} with a different payload (invocation ${mismatch.id}) committed ${committed.map(describeEffect).join('; ')}`, {
      invocations: [mismatch.id],
      requests: committed.map((effect) => effect.requestId),
      effects: committed.map((effect) => effect.id),
    });
  },
};
