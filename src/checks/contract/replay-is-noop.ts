import type { CaseRows, InvocationRow } from '../../ledger/rows.js';
import {
  describeInvocation,
  firstDifference,
  fail,
  pass,
  responseBody,
  responseHeader,
  resultId,
  sameJson,
  scenarioFacts,
  shortJson,
  skip,
  type Check,
  type ExitCodeContract,
} from '../check.js';
import { invocationOutcome } from '../outcome.js';

/**
 * Re-running a completed operation with the same key says that nothing was
 * done (what it committed is replay-commits-nothing's business).
 *
 * Command and module targets: the replay exits with a success code, reports
 * effect `noop`, and names the same resource (`id`) as the first successful
 * attempt with that key when both print one.
 *
 * http targets (IETF Idempotency-Key draft, Stripe): the replay returns the
 * first response — the same status and the same parsed body as the first
 * successful attempt with that key, compared whole (no field is left out:
 * a replay that regenerates a timestamp is not the first response). Response
 * headers are not compared (Date and the like legitimately differ), except
 * that with `target.replayedHeader` the replay must carry
 * `Idempotent-Replayed: true`.
 */
export const replayIsNoop: Check = {
  name: 'replay-is-noop',
  holdsWhen: 're-running a completed operation with the same key exits with a success code and reports `noop` (http: returns the first response)',
  evaluate(input) {
    const { operation, rows, exitCodes } = input;
    const replay = rows.invocations.find((invocation) => invocation.role === 'replay');
    if (!replay) return skip(this.name, `${operation}: no replay (the operation never succeeded, or replay is off)`);
    const requests = rows.requests.filter((request) => request.invocationId === replay.id);
    const facts = scenarioFacts(input);
    const http = (replay.targetKind ?? facts.targetKind) === 'http';
    // A fault that hit the replay's own request (a 503, a 400, a reset...) may make a correct replay fail, or
    // leave it unable to tell a replay from its own retry's success: it is not judged. `slow` changes
    // nothing the replay can see, so a slowed replay is judged like any other.
    const faulted = requests.filter((request) => !HARMLESS_FAULTS.includes(request.fault) && !request.committed);
    if (faulted.length > 0) {
      const faults = faulted.map((request) => `${request.id} (${request.fault})`).join(', ');
      return skip(this.name, `${operation}: the replay's own request ${faults} was faulted; a correct replay may fail then`);
    }
    const problems = http ? httpProblems(replay, rows, exitCodes, facts.replayedHeader) : commandProblems(replay, rows, exitCodes);
    if (problems.length === 0) {
      return pass(
        this.name,
        http
          ? `${operation}: the replay with key ${replay.key} returned the first response (${replay.httpStatus})`
          : `${operation}: the replay with key ${replay.key} reported noop`,
      );
    }
    return fail(this.name, `${operation}: replay with key ${replay.key}: ${problems.join('; ')}`, {
      invocations: [replay.id],
      requests: requests.map((request) => request.id),
    });
  },
};

/** Faults that change nothing the client can see but timing. */
const HARMLESS_FAULTS = ['none', 'slow'];

/** The first successful attempt with the replay's key: the answer the replay must repeat. */
function firstSuccess(replay: InvocationRow, rows: CaseRows, exitCodes: ExitCodeContract): InvocationRow | undefined {
  return rows.invocations.find(
    (invocation) =>
      invocation.id < replay.id &&
      invocation.key === replay.key &&
      ['baseline', 'attempt', 'concurrent'].includes(invocation.role) &&
      invocationOutcome(invocation, exitCodes) === 'success',
  );
}

function commandProblems(replay: InvocationRow, rows: CaseRows, exitCodes: ExitCodeContract): string[] {
  const problems: string[] = [];
  if (replay.killed || replay.exitCode === null || !exitCodes.success.includes(replay.exitCode)) {
    problems.push(`${describeInvocation(replay)} did not exit with a success code`);
  }
  if (replay.effect !== 'noop') {
    problems.push(replay.effect === null ? 'it reported no effect field' : `it reported effect "${replay.effect}"`);
  }
  // A noop that names another resource than the first answer sends the caller to the wrong one.
  const first = firstSuccess(replay, rows, exitCodes);
  const [id, firstId] = [resultId(replay), first ? resultId(first) : undefined];
  if (first && id !== undefined && firstId !== undefined && !sameJson(id, firstId)) {
    problems.push(`it names id ${shortJson(id)}, but the first successful attempt (invocation ${first.id}) named ${shortJson(firstId)}`);
  }
  return problems;
}

function httpProblems(replay: InvocationRow, rows: CaseRows, exitCodes: ExitCodeContract, replayedHeader: boolean): string[] {
  const problems: string[] = [];
  const first = firstSuccess(replay, rows, exitCodes);
  if (replay.httpStatus === null || replay.httpStatus === undefined) {
    problems.push(`${describeInvocation(replay)} got no response`);
  } else if (!first) {
    problems.push(`${describeInvocation(replay)} has no successful attempt with key ${replay.key} to be compared with`);
  } else {
    if (replay.httpStatus !== first.httpStatus) {
      problems.push(`${describeInvocation(replay)} answered ${replay.httpStatus}, but the first response (invocation ${first.id}) was ${first.httpStatus}`);
    }
    const [body, firstBody] = [responseBody(replay), responseBody(first)];
    if (!sameJson(body, firstBody)) {
      problems.push(`its body ${shortJson(body)} is not the first response's body ${shortJson(firstBody)} (invocation ${first.id}): they differ ${firstDifference(body, firstBody)} (the first response's)`);
    }
  }
  if (replayedHeader && replay.httpStatus !== null && replay.httpStatus !== undefined) {
    const header = responseHeader(replay, 'Idempotent-Replayed');
    if (header?.trim().toLowerCase() !== 'true') {
      problems.push(header === undefined ? 'it has no `Idempotent-Replayed: true` header (target.replayedHeader)' : `its Idempotent-Replayed header is ${JSON.stringify(header)}, not "true"`);
    }
  }
  return problems;
}
