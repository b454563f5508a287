import type { CaseRows, InvocationRow } from '../../ledger/rows.js';
import {
  describeInvocation,
  firstDifference,
  fail,
  pass,
  plural,
  responseBody,
  resultId,
  sameJson,
  scenarioFacts,
  shortJson,
  skip,
  type Check,
  type ExitCodeContract,
} from '../check.js';
import { invocationOutcome } from '../outcome.js';

/** The status the IETF Idempotency-Key draft gives a request whose key is still in flight. */
export const CONFLICT_STATUS = 409;

/** Faults that leave the upstream working normally: with only these, one of the racers must succeed. */
const BENIGN_FAULTS = ['none', 'slow'];
/** Faults after which the client cannot know what happened: `unknown` (or no answer) is honest. */
const ANSWER_LOST = /^(timeout|reset|truncate|crash)-/;
// ('timeout-by-the-client' stands for a request the racer abandoned itself.)
/**
 * Faults that leave the client unsure: after a 5xx, or a 409 saying a request with this key is
 * still in flight (it may yet commit), a failure or `unknown` is honest.
 */
const UNSURE = /^(50\d-|409-in-flight$)/;

/**
 * How two (or more) concurrent invocations with one key (the probe:concurrent
 * case's 'concurrent' invocations) answer: every one in a way a caller can act
 * on. One is the winner: the first that succeeded with an effect other than
 * noop (or else the first that succeeded). Each of the others reports
 * - noop (command: a success exit with effect `noop`; http: a 2xx whose body
 *   says `effect: noop`), or
 * - the winner's result (command: a success exit with the winner's effect and
 *   the same `id`, or the same JSON when neither prints an id; http: the same
 *   status and the same parsed body), or
 * - a conflict (command: a declared failure exit code with effect `none`;
 *   http: 409, per the IETF draft).
 * A racer whose own upstream request got a fault is judged by what that fault
 * let it know: after a lost answer (timeout, reset, truncation, crash; a crash
 * fault on the other racer's request kills it too) no answer or `unknown` is honest; after an injected 5xx
 * or an in-flight 409 a failure or `unknown` is; after a definite refusal (429, a 4xx) a failure is.
 * A racer that answered `unknown` although its own request committed is no loser either: its
 * answer did not reach it (its own timeout, on a busy machine).
 * When none of them won and every one met faults (an outage decided the race: no winner's
 * key was ever in flight for a loser to report), a failure or `unknown` is honest too;
 * how precisely each says what happened is outcome-honesty's business. When none of them
 * succeeds although no request of theirs was faulted (only the probe's slow
 * race window), that fails too: the racers refused each other.
 * How many effects they committed together is concurrent-commits-once's business.
 */
export const concurrentSameKey: Check = {
  name: 'concurrent-same-key',
  holdsWhen: 'of two concurrent invocations with one key, the loser reports noop, the same result, or a conflict (409 for HTTP)',
  evaluate(input) {
    const { operation, rows, exitCodes } = input;
    const racers = rows.invocations.filter((invocation) => invocation.role === 'concurrent');
    if (racers.length < 2) {
      return skip(this.name, `${operation}: not a concurrency probe (${plural(racers.length, 'concurrent invocation')})`);
    }
    const kind = racers[0]!.targetKind ?? scenarioFacts(input).targetKind;
    const problems: string[] = [];
    const evidenceInvocations = new Set<number>();
    const succeeded = racers.filter((racer) => invocationOutcome(racer, exitCodes) === 'success');
    const winner = succeeded.find((racer) => effectOf(racer) !== 'noop') ?? succeeded[0];
    if (!winner && racers.every((racer) => faultsOf(rows, racer).length === 0)) {
      racers.forEach((racer) => evidenceInvocations.add(racer.id));
      problems.push(`none of them succeeded (${racers.map(describeInvocation).join('; ')}), though no request of theirs was faulted`);
    }
    const outageDecided = !winner && racers.every((racer) => faultsOf(rows, racer).length > 0);
    for (const racer of racers) {
      if (racer === winner) continue;
      if (committedUnseen(rows, racer, exitCodes)) continue;
      const faults = faultsOf(rows, racer);
      if (faults.length > 0 && excusedBy(faults, racer, exitCodes, outageDecided)) continue;
      const problem = loserProblem(racer, winner, kind, exitCodes);
      if (problem) {
        evidenceInvocations.add(racer.id);
        if (winner) evidenceInvocations.add(winner.id);
        problems.push(`${describeInvocation(racer)} ${problem}`);
      }
    }
    const ids = racers.map((racer) => racer.id).join(', ');
    if (problems.length === 0) {
      const winnerText = winner ? `invocation ${winner.id} won` : 'none succeeded';
      return pass(this.name, `${operation}: concurrent invocations ${ids} with key ${racers[0]!.key} answered consistently (${winnerText})`);
    }
    return fail(this.name, `${operation}: concurrent invocations ${ids} with key ${racers[0]!.key}: ${problems.join('; ')}`, {
      invocations: [...evidenceInvocations].sort((a, b) => a - b),
    });
  },
};

/**
 * The faults a racer met: those on the requests it may have sent (its own, and those sent while
 * several ran, unattributed), and a crash fault on any racer's request, which kills every running
 * invocation (a command's racers are separate processes: the other one dies with it).
 */
function faultsOf(rows: CaseRows, racer: InvocationRow): string[] {
  const own = rows.requests.filter((request) => request.invocationId === racer.id || request.invocationId === null);
  // A request the racer itself gave up on (its own timeout, on a loaded machine) lost its answer as surely as a fault would.
  return [
    ...own.flatMap((request) => [
      ...(BENIGN_FAULTS.includes(request.fault) ? [] : [request.fault]),
      ...(request.delivery === 'abandoned' ? ['timeout-by-the-client'] : []),
    ]),
    ...(racer.killed && racer.killReason === 'crash' ? ['crash-of-every-racer'] : []),
  ];
}

/** Whether the faults a racer met make its failing answer honest (never a success: that is judged as usual). */
function excusedBy(faults: readonly string[], racer: InvocationRow, exitCodes: ExitCodeContract, outageDecided: boolean): boolean {
  const outcome = invocationOutcome(racer, exitCodes);
  if (outcome === 'success') return false;
  // From here the outcome is a failure or `unknown`.
  if (outageDecided && !racer.killed) return true;
  // Killed by the harness's timeout while faults stood in its way (an outage it was still retrying through):
  // it never had the chance to answer. Whether it retried sensibly is retry-policy's business.
  if (racer.killed && racer.killReason === 'timeout') return true;
  if (faults.some((fault) => ANSWER_LOST.test(fault))) return true;
  if (faults.some((fault) => UNSURE.test(fault))) return true;
  // A definite refusal (429, a 4xx): the racer knows nothing happened, so it says so with a failure.
  return outcome === 'failure';
}

/**
 * A racer whose own request committed is no loser: its commit is what put the key in flight
 * for the others. If it answered `unknown`, its answer did not reach it in time (its own
 * timeout fired as the answer was sent, on a loaded machine, too late for the ledger to see
 * the request abandoned), and `unknown` is honest; whether it should have known better is
 * outcome-honesty's business.
 */
function committedUnseen(rows: CaseRows, racer: InvocationRow, exitCodes: ExitCodeContract): boolean {
  if (racer.killed || invocationOutcome(racer, exitCodes) !== 'unknown') return false;
  return rows.requests.some((request) => request.invocationId === racer.id && request.committed);
}

function effectOf(invocation: InvocationRow): string | null {
  if (invocation.effect !== null) return invocation.effect;
  const body = responseBody(invocation);
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const effect = (body as Record<string, unknown>).effect;
    if (typeof effect === 'string') return effect;
  }
  return null;
}

/** Why a non-winning racer's answer is not one a caller can act on, or undefined when it is. */
function loserProblem(
  racer: InvocationRow,
  winner: InvocationRow | undefined,
  kind: string,
  exitCodes: ExitCodeContract,
): string | undefined {
  if (racer.killed || racer.signal !== null) return 'gave no answer (a loser reports noop, the same result, or a conflict)';
  const effect = effectOf(racer);
  if (kind === 'http') {
    const status = racer.httpStatus;
    if (status === null || status === undefined) return 'got no response (a loser reports noop, the same result, or 409)';
    if (status === CONFLICT_STATUS) return undefined;
    if (status >= 200 && status < 300) {
      if (effect === 'noop') return undefined;
      if (!winner) return undefined;
      if (winner.httpStatus === status && sameJson(responseBody(winner), responseBody(racer))) return undefined;
      const where = winner.httpStatus === status ? `; the bodies differ ${firstDifference(responseBody(racer), responseBody(winner))} (the winner's)` : '';
      return `answered ${status} ${shortJson(responseBody(racer), 80)}, not the winner's ${winner.httpStatus} ${shortJson(responseBody(winner), 80)} (nor noop, nor ${CONFLICT_STATUS})${where}`;
    }
    return `answered ${status} (a loser reports noop, the same result, or ${CONFLICT_STATUS})`;
  }
  const code = racer.exitCode;
  if (code === null) return 'gave no exit code (a loser reports noop, the same result, or a conflict)';
  if (exitCodes.success.includes(code)) {
    if (!winner) return undefined;
    if (effect === 'noop') {
      const [mine, theirs] = [resultId(racer), resultId(winner)];
      if (mine === undefined || theirs === undefined || sameJson(mine, theirs)) return undefined;
      return `reported noop for ${shortJson(mine)}, but the winner (invocation ${winner.id}) reported ${shortJson(theirs)}: two different results for one key`;
    }
    if (effect !== effectOf(winner)) return `reported effect "${effect}", but the winner (invocation ${winner.id}) reported "${effectOf(winner)}" (a loser reports noop, the same result, or a conflict)`;
    const [mine, theirs] = [resultId(racer), resultId(winner)];
    if (mine !== undefined || theirs !== undefined) {
      if (sameJson(mine, theirs)) return undefined;
      return `reported ${effect} ${shortJson(mine)}, but the winner (invocation ${winner.id}) reported ${shortJson(theirs)}: two different results for one key`;
    }
    if (sameJson(responseBody(racer), responseBody(winner))) return undefined;
    return `reported ${shortJson(responseBody(racer), 80)}, not the winner's result ${shortJson(responseBody(winner), 80)}: they differ ${firstDifference(responseBody(racer), responseBody(winner))} (the winner's)`;
  }
  if (!exitCodes.failure.includes(code)) return `exited ${code}, which is not a declared failure code (a conflict is a declared failure code with effect "none")`;
  if (effect === 'none') return undefined;
  return `exited ${code} with effect ${effect === null ? '(none printed)' : `"${effect}"`} (a conflict reports effect "none"; a loser can know the key is in flight)`;
}
