import type { InvocationRow } from '../../ledger/rows.js';
import { describeInvocation, fail, pass, scenarioFacts, shortJson, skip, type Check, type ExitCodeContract } from '../check.js';
import { isFailureEffect, isSuccessEffect } from '../outcome.js';

/**
 * Every completed invocation prints JSON with an `effect` from the vocabulary:
 * created, updated, deleted, noop, would_* (dry run), none or unknown.
 * A dry run's effect is would_* (or noop, when there is nothing to do) and it
 * ends in success. Whether the effect agrees with the exit code is exit-codes'
 * business.
 *
 * http targets: an API says what happened through its status codes and its
 * replayed responses, and DESIGN's `effect` field (like its conformance scale)
 * is the command-line convention; most APIs, Stripe's included, have no such
 * field. So the check is skipped for an API none of whose responses in the
 * case carries `effect`. An API that does put `effect` in its bodies has opted
 * in, and is held to it like a command: every response (any status) must be a
 * JSON object with an `effect` from the vocabulary. Invocations that got no
 * response are not judged.
 */
export const effectField: Check = {
  name: 'effect-field',
  holdsWhen: 'every response of the target reports `effect`: created, updated, deleted, noop, would_* (a dry run, which succeeds), none or unknown',
  evaluate(input) {
    const { operation, rows } = input;
    const http = scenarioFacts(input).targetKind === 'http' || rows.invocations.some((invocation) => invocation.targetKind === 'http');
    if (http) {
      const answered = rows.invocations.filter((invocation) => !invocation.killed && invocation.httpStatus !== null && invocation.httpStatus !== undefined);
      if (!answered.some((invocation) => effectKeyOf(invocation) !== undefined)) {
        return skip(
          this.name,
          `${operation}: http target whose responses carry no "effect" field (${answered.length} response${answered.length === 1 ? '' : 's'}); its status codes say what happened`,
        );
      }
    }
    const problems: string[] = [];
    const invocations: number[] = [];
    for (const invocation of rows.invocations) {
      if (invocation.killed) continue;
      if (http ? invocation.httpStatus === null || invocation.httpStatus === undefined : invocation.exitCode === null) continue;
      let problem: string | undefined;
      if (invocation.stdoutJson === null || typeof invocation.stdoutJson !== 'object' || Array.isArray(invocation.stdoutJson)) {
        problem = http
          ? `answered with no JSON object (body: ${shortJson(invocation.stdout, 80)}), though other responses carry "effect"`
          : `printed no JSON object (stdout: ${JSON.stringify(invocation.stdout.slice(0, 80))})`;
      } else if (invocation.effect === null) {
        problem = http ? 'answered JSON without an "effect" field, though other responses carry one' : 'printed JSON without an "effect" field';
      } else if (!isSuccessEffect(invocation.effect) && !isFailureEffect(invocation.effect)) {
        problem = `reported effect "${invocation.effect}", which is not one of created, updated, deleted, noop, would_*, none, unknown`;
      }
      if (problem) {
        problems.push(`${describeInvocation(invocation)} ${problem}`);
        invocations.push(invocation.id);
      }
    }
    // A dry run says what it would do: would_* (or noop), with a success. A fault on its own reads may make it fail.
    const dryRun = rows.invocations.find((invocation) => invocation.role === 'dry-run');
    const dryRunFaulted = dryRun !== undefined && rows.requests.some((request) => request.invocationId === dryRun.id && !['none', 'slow'].includes(request.fault));
    if (dryRun && !dryRunFaulted && !invocations.includes(dryRun.id)) {
      const wrong = dryRunAnswerProblems(dryRun, http ? 'http' : 'command', input.exitCodes);
      if (wrong.length > 0) {
        problems.push(`the dry run ${describeInvocation(dryRun)}: ${wrong.join('; ')}`);
        invocations.push(dryRun.id);
      }
    }
    if (problems.length === 0) return pass(this.name, `${operation}: every invocation reported its effect`);
    return fail(this.name, `${operation}: ${problems.join('; ')}`, { invocations });
  },
};

/** The `effect` member of an invocation's JSON body, if it has one (whatever its type). */
function effectKeyOf(invocation: InvocationRow): unknown {
  const body = invocation.stdoutJson;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  return Object.hasOwn(body, 'effect') ? (body as Record<string, unknown>).effect : undefined;
}

/** What is wrong with the dry run's own answer: its effect and its exit code or status. */
function dryRunAnswerProblems(dryRun: InvocationRow, kind: string, exitCodes: ExitCodeContract): string[] {
  const problems: string[] = [];
  if (dryRun.effect === null) problems.push(`it reported no effect field (expected would_* or noop)`);
  else if (!dryRun.effect.startsWith('would_') && dryRun.effect !== 'noop') problems.push(`it reported effect "${dryRun.effect}" (expected would_* or noop)`);
  const status = dryRun.httpStatus ?? null;
  if (dryRun.killed || dryRun.signal !== null) problems.push('it gave no answer');
  else if (kind === 'http' && (status === null || status < 200 || status >= 300)) problems.push(`it answered ${status ?? 'nothing'}, not a 2xx`);
  else if (kind !== 'http' && (dryRun.exitCode === null || !exitCodes.success.includes(dryRun.exitCode))) {
    problems.push(`it exited ${dryRun.exitCode}, not a success code`);
  }
  return problems;
}
