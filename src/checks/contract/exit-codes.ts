import type { CaseRows } from '../../ledger/rows.js';
import { describeInvocation, fail, pass, scenarioFacts, skip, type Check, type CheckResult } from '../check.js';
import type { CheckName } from '../../core/check-names.js';
import { isFailureEffect, isSuccessEffect } from '../outcome.js';

/**
 * Exit codes follow the scenario's contract: every code is declared; a
 * success or noop exits with a success code; a reported failure does not.
 *
 * http targets have statuses instead of exit codes (the scenario's exitCodes
 * do not apply): a response whose body reports a success effect (created,
 * updated, deleted, noop, would_*) must be a 2xx, one that reports none or
 * unknown must not be. Responses without `effect` cannot be held to anything
 * here (the probes' own checks judge 409 and 422); when no response in
 * the case carries one, the check is skipped. The missing-key probe is judged
 * here: with `target.requireKey`, a mutating request without its key must get
 * 400 and commit nothing; without it, a request a schedule sent without key is
 * judged like any other.
 */
export const exitCodes: Check = {
  name: 'exit-codes',
  holdsWhen: "exit codes match the scenario's contract (success and noop exit with a success code; failures with a declared failure code)",
  evaluate(input) {
    const { operation, rows, exitCodes: contract } = input;
    const facts = scenarioFacts(input);
    if (facts.targetKind === 'http') return httpStatuses(this.name, operation, rows, facts.requireKey);
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

function httpStatuses(name: CheckName, operation: string, rows: CaseRows, requireKey: boolean): CheckResult {
  // The missing-key probe (target.requireKey): the IETF draft answers a required key that is missing with 400, and does nothing.
  // Only when the scenario requires the key: a hand-written schedule may omit it for an API that does not
  // (issue 18, hole 10); that request is then judged like any other, below.
  const missing = requireKey ? rows.invocations.find((invocation) => invocation.role === 'missing-key') : undefined;
  if (missing) {
    const requests = rows.requests.filter((request) => request.invocationId === missing.id);
    const committed = rows.effects.filter((effect) => requests.some((request) => request.id === effect.requestId));
    const problems = [
      ...(missing.httpStatus === 400 ? [] : [`answered ${missing.httpStatus ?? `nothing (${missing.error ?? 'no response'})`} instead of 400`]),
      ...(committed.length > 0 ? [`committed ${committed.length} effect(s) upstream`] : []),
    ];
    if (problems.length === 0) return pass(name, `${operation}: a request without its Idempotency-Key was refused with 400 and did nothing`);
    return fail(name, `${operation}: a request without its required Idempotency-Key ${problems.join(' and ')} (IETF draft: 400)`, {
      invocations: [missing.id],
      requests: requests.map((request) => request.id),
      effects: committed.map((effect) => effect.id),
    });
  }
  const judged = rows.invocations.filter(
    (invocation) => !invocation.killed && invocation.httpStatus !== null && invocation.httpStatus !== undefined && invocation.effect !== null,
  );
  if (judged.length === 0) return skip(name, `${operation}: http target whose responses carry no "effect" to hold their status to`);
  const problems: string[] = [];
  const invocations: number[] = [];
  for (const invocation of judged) {
    const status = invocation.httpStatus!;
    const ok = status >= 200 && status < 300;
    const effect = invocation.effect!;
    let problem: string | undefined;
    if (isSuccessEffect(effect) && !ok) problem = `reported effect "${effect}" with status ${status}, not a 2xx`;
    else if (isFailureEffect(effect) && ok) problem = `reported effect "${effect}" with status ${status}, a success status`;
    if (problem) {
      problems.push(`${describeInvocation(invocation)}: ${problem}`);
      invocations.push(invocation.id);
    }
  }
  if (problems.length === 0) return pass(name, `${operation}: every status agrees with the effect its response reports (2xx for success, an error status for none or unknown)`);
  return fail(name, `${operation}: ${problems.join('; ')}`, { invocations });
}
