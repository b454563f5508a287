import { describeInvocation, fail, pass, type Check } from './check.js';
import { isFailureEffect, isSuccessEffect } from './outcome.js';

/**
 * Exit codes follow the scenario's contract: every code is declared; a
 * success or noop exits with a success code; a reported failure does not.
 */
export const exitCodes: Check = {
  name: 'exit-codes',
  holdsWhen: "exit codes match the scenario's contract (success and noop exit with a success code; failures with a declared failure code)",
  evaluate({ operation, rows, exitCodes: contract }) {
    const problems: string[] = [];
    const invocations: number[] = [];
    for (const invocation of rows.invocations) {
      if (invocation.killed || invocation.exitCode === null) continue;
      const code = invocation.exitCode;
      const success = contract.success.includes(code);
      let problem: string | undefined;
      if (!success && !contract.failure.includes(code)) {
        problem = `exit code ${code} is not declared (success: ${contract.success.join(', ')}; failure: ${contract.failure.join(', ')})`;
      } else if (invocation.effect && isSuccessEffect(invocation.effect) && !success) {
        problem = `reported effect "${invocation.effect}" but exited ${code}, a failure code`;
      } else if (invocation.effect && isFailureEffect(invocation.effect) && success) {
        problem = `reported effect "${invocation.effect}" but exited ${code}, a success code`;
      }
      if (problem) {
        problems.push(`${describeInvocation(invocation)}: ${problem}`);
        invocations.push(invocation.id);
      }
    }
    if (problems.length === 0) return pass(this.name, `${operation}: every exit code follows the contract`);
    return fail(this.name, `${operation}: ${problems.join('; ')}`, { invocations });
  },
};
