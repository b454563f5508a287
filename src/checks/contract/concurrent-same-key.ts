import type { InvocationRow } from '../../ledger/rows.js';
import {
  countByRoute,
  describeEffect,
  describeInvocation,
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

/**
 * Two (or more) concurrent invocations with one key (the probe:concurrent
 * case's 'concurrent' invocations) commit at most once: together they leave at
 * most the clean run's effects on every route. And every one of them answers
 * in a way a caller can act on. One is the winner: the first that succeeded
 * with an effect other than noop (or else the first that succeeded). Each of
 * the others reports
 * - noop (command: a success exit with effect `noop`; http: a 2xx whose body
 *   says `effect: noop`), or
 * - the winner's result (command: a success exit with the winner's effect and
 *   the same `id`, or the same JSON when neither prints an id; http: the same
 *   status and the same parsed body), or
 * - a conflict (command: a declared failure exit code with effect `none`;
 *   http: 409, per the IETF draft).
 * Anything else fails: a kill or timeout, `unknown` (a racer can know the key
 * is in flight), another status. When none of them succeeds although the
 * schedule faulted nothing (only the probe's slow race window), that fails
 * too: the racers refused each other.
 *
 * Requests sent while several racers ran are recorded without invocation; all
 * the case's effects outside other roles' requests count towards the total.
 */
export const concurrentSameKey: Check = {
  name: 'concurrent-same-key',
  holdsWhen: 'two concurrent invocations with one key commit at most once; the loser reports noop, the same result, or a conflict (409 for HTTP)',
  evaluate(input) {
    const { operation, rows, baseline, exitCodes, traits, schedule } = input;
    const racers = rows.invocations.filter((invocation) => invocation.role === 'concurrent');
    if (racers.length < 2) {
      return skip(this.name, `${operation}: not a concurrency probe (${plural(racers.length, 'concurrent invocation')})`);
    }
    const kind = racers[0]!.targetKind ?? scenarioFacts(input).targetKind;
    const racerIds = new Set(racers.map((invocation) => invocation.id));
    const others = new Set(rows.invocations.filter((invocation) => !racerIds.has(invocation.id)).map((invocation) => invocation.id));
    const racerRequests = rows.requests.filter((request) => request.invocationId === null || !others.has(request.invocationId));
    const racerRequestIds = new Set(racerRequests.map((request) => request.id));
    const effects = rows.effects.filter((effect) => racerRequestIds.has(effect.requestId));
    const problems: string[] = [];
    const evidenceEffects: number[] = [];
    const evidenceInvocations = new Set<number>();

    for (const [route, count] of countByRoute(effects)) {
      const expected = baseline.routeCounts.get(route) ?? 0;
      if (count <= expected) continue;
      const noun = traits.get(route.split(' ')[0]!)?.noun ?? 'effect';
      const involved = effects.filter((effect) => `${effect.upstream} ${effect.route}` === route);
      evidenceEffects.push(...involved.map((effect) => effect.id));
      racers.forEach((racer) => evidenceInvocations.add(racer.id));
      problems.push(`together they committed ${plural(count, noun)} on ${route} (clean run: ${expected}): ${involved.map(describeEffect).join('; ')}`);
    }

    const succeeded = racers.filter((racer) => invocationOutcome(racer, exitCodes) === 'success');
    const winner = succeeded.find((racer) => effectOf(racer) !== 'noop') ?? succeeded[0];
    if (!winner) {
      const faulted = schedule.faults.some((binding) => !BENIGN_FAULTS.includes(binding.fault));
      if (!faulted) {
        racers.forEach((racer) => evidenceInvocations.add(racer.id));
        problems.push(`none of them succeeded (${racers.map(describeInvocation).join('; ')}), though no fault stood in the way`);
      }
    }
    // A fault that lost a racer's answer (a timeout, a reset, a truncation) makes its "unknown" honest;
    // requests sent during the race are not attributed, so any such fault excuses an unknown outcome.
    const answersLost = rows.requests.some((request) => !BENIGN_FAULTS.includes(request.fault) && request.fault !== 'none');
    for (const racer of racers) {
      if (racer === winner) continue;
      if (answersLost && invocationOutcome(racer, exitCodes) === 'unknown') continue;
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
      return pass(this.name, `${operation}: concurrent invocations ${ids} with key ${racers[0]!.key} committed at most once (${winnerText}, ${plural(effects.length, 'effect')})`);
    }
    return fail(this.name, `${operation}: concurrent invocations ${ids} with key ${racers[0]!.key}: ${problems.join('; ')}`, {
      invocations: [...evidenceInvocations].sort((a, b) => a - b),
      requests: [...new Set(rows.effects.filter((effect) => evidenceEffects.includes(effect.id)).map((effect) => effect.requestId))],
      effects: evidenceEffects,
    });
  },
};

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
      return `answered ${status} ${shortJson(responseBody(racer), 80)}, not the winner's ${winner.httpStatus} ${shortJson(responseBody(winner), 80)} (nor noop, nor ${CONFLICT_STATUS})`;
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
    return `reported ${shortJson(responseBody(racer), 80)}, not the winner's result ${shortJson(responseBody(winner), 80)}`;
  }
  if (!exitCodes.failure.includes(code)) return `exited ${code}, which is not a declared failure code (a conflict is a declared failure code with effect "none")`;
  if (effect === 'none') return undefined;
  return `exited ${code} with effect ${effect === null ? '(none printed)' : `"${effect}"`} (a conflict reports effect "none"; a loser can know the key is in flight)`;
}
