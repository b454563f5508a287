import { describeInvocation, fail, pass, type Check } from './check.js';
import { isFailureEffect, isSuccessEffect } from './outcome.js';

/**
 * Every completed invocation prints JSON with an `effect` from the vocabulary:
 * created, updated, deleted, noop, would_* (dry run), none or unknown.
 * Whether the effect agrees with the exit code is exit-codes' business.
 */
export const effectField: Check = {
  name: 'effect-field',
  holdsWhen: 'every response of the target reports `effect`: created, updated, deleted, noop, would_*, none or unknown',
  evaluate({ operation, rows }) {
    const problems: string[] = [];
    const invocations: number[] = [];
    for (const invocation of rows.invocations) {
      if (invocation.killed || invocation.exitCode === null) continue;
      let problem: string | undefined;
      if (invocation.stdoutJson === null || typeof invocation.stdoutJson !== 'object' || Array.isArray(invocation.stdoutJson)) {
        problem = `printed no JSON object (stdout: ${JSON.stringify(invocation.stdout.slice(0, 80))})`;
      } else if (invocation.effect === null) {
        problem = 'printed JSON without an "effect" field';
      } else if (!isSuccessEffect(invocation.effect) && !isFailureEffect(invocation.effect)) {
        problem = `reported effect "${invocation.effect}", which is not one of created, updated, deleted, noop, would_*, none, unknown`;
      }
      if (problem) {
        problems.push(`${describeInvocation(invocation)} ${problem}`);
        invocations.push(invocation.id);
      }
    }
    if (problems.length === 0) return pass(this.name, `${operation}: every invocation reported its effect`);
    return fail(this.name, `${operation}: ${problems.join('; ')}`, { invocations });
  },
};
