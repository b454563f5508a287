import {
  describeEffect,
  describeInvocation,
  describeRequest,
  effectsOfRequests,
  fail,
  isMutatingMethod,
  pass,
  requestsOf,
  scenarioFacts,
  skip,
  type Check,
  type ExitCodeContract,
} from '../check.js';
import type { InvocationRow } from '../../ledger/rows.js';

/**
 * A dry run (the probe:dry-run case's 'dry-run' invocation, made with the
 * operation's `dryRun` arguments, headers or query) says what it would do and
 * does nothing: it reports an effect that starts with `would_` (or `noop`, when
 * there is nothing to do), ends in success (a success exit code; 2xx for http),
 * and sends no mutating upstream request (anything but GET, HEAD and OPTIONS:
 * looking things up is how a dry run finds out what it would do). Effects it
 * committed are named too.
 */
export const dryRunNoEffects: Check = {
  name: 'dry-run-no-effects',
  holdsWhen: 'a dry run reports `would_*` (or noop), succeeds, and sends no mutating upstream request',
  evaluate(input) {
    const { operation, rows, exitCodes } = input;
    const dryRun = rows.invocations.find((invocation) => invocation.role === 'dry-run');
    if (!dryRun) {
      return skip(this.name, `${operation}: not a dry-run probe (the operation declares no dryRun, or probes.dryRun is off)`);
    }
    const kind = dryRun.targetKind ?? scenarioFacts(input).targetKind;
    const requests = requestsOf(rows, dryRun.id);
    const mutating = requests.filter((request) => isMutatingMethod(request.method));
    const committed = effectsOfRequests(rows, requests);
    // A fault on one of its own reads (a 503, a reset) may make a correct dry run fail: then only what it sent is judged.
    const faulted = requests.filter((request) => request.fault !== 'none' && request.fault !== 'slow');
    const problems = faulted.length > 0 ? [] : answerProblems(dryRun, kind, exitCodes);
    if (mutating.length > 0) problems.push(`it sent ${mutating.map(describeRequest).join('; ')}`);
    if (committed.length > 0) problems.push(`it committed ${committed.map(describeEffect).join('; ')}`);
    if (problems.length === 0 && faulted.length > 0) {
      return skip(this.name, `${operation}: the dry run's own request ${faulted.map((request) => `${request.id} (${request.fault})`).join(', ')} was faulted; it sent no mutating request`);
    }
    if (problems.length === 0) {
      return pass(this.name, `${operation}: the dry run reported "${dryRun.effect}" and sent no mutating request (${requests.length} read${requests.length === 1 ? '' : 's'})`);
    }
    return fail(this.name, `${operation}: dry run ${describeInvocation(dryRun)}: ${problems.join('; ')}`, {
      invocations: [dryRun.id],
      requests: mutating.map((request) => request.id),
      effects: committed.map((effect) => effect.id),
    });
  },
};

/** What is wrong with the dry run's own answer: its effect and its exit code or status. */
function answerProblems(dryRun: InvocationRow, kind: string, exitCodes: ExitCodeContract): string[] {
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
