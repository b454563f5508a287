import type { CaseRows, InvocationRow } from '../../ledger/rows.js';
import { nounFor, traitsForRouteKey } from '../../upstream/route-traits.js';
import { countByFingerprint, countByRoute, describeEffect, describeExpected, fail, isStateEffect, operationEffects, pass, plural, requestsOf, skip, warn, type Check } from '../check.js';
import { operationAttempts, operationOutcome } from '../outcome.js';

/**
 * An operation that ended in success leaves exactly its clean run's effects;
 * one that ended in failure (or unknown) leaves none of them or all of them.
 * A part is lost when a later invocation of the operation had the chance to
 * finish it and did not; a part left by the last invocation to run (killed
 * between a charge and its audit record, never run again) is a warning: no
 * client can make two independent upstreams atomic against SIGKILL. A later
 * invocation had the chance when it ran after the one that left the part (not
 * beside it, as a concurrent duplicate does) and the schedule did not stop it:
 * neither killed by a crash fault (which kills every running invocation) nor
 * faulted on a request of its own (a 503 on the audit write it retried).
 * Whatever the ending, no effect on a route the clean run used may carry a
 * body the clean run never sent (a retry that charged another amount).
 * Extra effects are no-duplicate-effects' business.
 */
export const noLostEffects: Check = {
  name: 'no-lost-effects',
  holdsWhen: "an operation the target reported as done leaves exactly its clean run's effects; a failed one none or all",
  evaluate({ operation, rows, baseline, exitCodes, traits }) {
    if (operationAttempts(rows.invocations).length === 0) {
      return skip(this.name, `${operation}: no invocation tried to do the operation (a probe case)`);
    }
    const outcome = operationOutcome(rows.invocations, exitCodes);
    const effects = operationEffects(rows);
    const byRoute = shortfalls(countByRoute(baseline.effects), countByRoute(effects), (route, count, expected) => {
      const noun = traitsForRouteKey(traits, route)?.noun ?? 'effect';
      return `${plural(count, noun)} on ${route} (clean run: ${expected})`;
    });
    // Route counts can match while the bodies do not (a charge of 1 instead of 100): compare fingerprints too.
    const byBody = shortfalls(countByFingerprint(baseline.effects), countByFingerprint(effects), (fingerprint, count, expected) => {
      const example = baseline.effects.find((effect) => effect.fingerprint === fingerprint)!;
      const noun = nounFor(traits, example.upstream, example.route);
      return `${count} of ${plural(expected, noun)} like ${describeExpected(example)}`;
    });
    const last = operationAttempts(rows.invocations).at(-1);
    const evidence = { invocations: last ? [last.id] : [], effects: effects.map((effect) => effect.id) };
    // An effect on a route the clean run used, with a body it never sent (a charge of another amount): not a
    // duplicate (its fingerprint has no count to exceed) but a wrong effect, whatever the operation ended in.
    // Reported here, with the lost ones, so one check compares bodies with the clean run (issue 18, hole 2).
    // Routes the clean run never used (a compensating refund) are no-duplicate-effects' to judge.
    const known = new Set(baseline.effects.map((effect) => effect.fingerprint));
    const wrong = effects.filter((effect) => baseline.routeCounts.has(`${effect.upstream} ${effect.route}`) && !known.has(effect.fingerprint));
    const wrongly = (ended: string, success: boolean): ReturnType<typeof fail> => {
      const senderOf = new Map(rows.requests.map((request) => [request.id, request.invocationId]));
      const senders = [...new Set(wrong.map((effect) => senderOf.get(effect.requestId)).filter((id): id is number => id !== null && id !== undefined))];
      // After a success, what it left of the clean run's own effects matters too; after a failure, none is fine.
      const missing = success && byBody.missing.length > 0 ? `; of the clean run's: ${byBody.missing.join('; ')}` : '';
      return fail(
        this.name,
        `${operation}: ${ended} ${success ? 'but' : 'and'} left an effect its clean run never made (${wrong.every(isStateEffect) ? "a row or file of the target's own state unlike any of the clean run's" : 'the retry changed the request'}): ${wrong.map((effect) => (isStateEffect(effect) ? describeEffect(effect) : `${describeEffect(effect)} ${describeExpected(effect)}`)).join('; ')}${missing} (if a field differs from run to run by design, list it in ${wrong.every(isStateEffect) ? "the state probe's" : "the upstream's"} ignoreFields)`,
        { invocations: senders.length > 0 ? senders.sort((a, b) => a - b) : evidence.invocations, effects: wrong.map((effect) => effect.id) },
      );
    };
    if (outcome === 'success') {
      if (byRoute.missing.length > 0) {
        return fail(this.name, `${operation}: reported success but effects are missing: ${byRoute.missing.join('; ')}`, evidence);
      }
      if (wrong.length > 0) return wrongly('reported success', true);
      if (byBody.missing.length > 0) {
        return fail(
          this.name,
          `${operation}: reported success but effects differ from the clean run's: ${byBody.missing.join('; ')} (if a body field differs from run to run by design, list it in the upstream's ignoreFields)`,
          evidence,
        );
      }
      return pass(this.name, `${operation}: succeeded with all of its clean run's effects`);
    }
    const ended = outcome === 'failure' ? 'in failure' : 'with an unknown outcome';
    if (wrong.length > 0) return wrongly(`ended ${ended}`, false);
    if (!byBody.any) return pass(this.name, `${operation}: ended ${ended} and left none of its effects`);
    if (byBody.missing.length === 0) return pass(this.name, `${operation}: ended ${ended} and left all of its effects`);
    const part = byRoute.missing.length > 0 ? byRoute.missing : byBody.missing;
    // No client can make two independent upstreams atomic against a kill: a partial state is lost
    // only when an invocation of the operation ran after it and did not finish the work.
    const senderOf = new Map(rows.requests.map((request) => [request.id, request.invocationId]));
    const makers = effects.map((effect) => senderOf.get(effect.requestId)).filter((id): id is number => id !== null && id !== undefined);
    const racers = operationAttempts(rows.invocations).filter((invocation) => invocation.role === 'concurrent');
    // A row of the target's own state has no request, so no known sender: any attempt may have written it,
    // the first one too. Only an invocation after the first can then be sure to have run after it.
    const unknownMaker = effects.some((effect) => senderOf.get(effect.requestId) === undefined);
    const lastMaker =
      makers.length > 0
        ? rows.invocations.find((invocation) => invocation.id === Math.max(...makers))
        : unknownMaker && racers.length === 0
          ? operationAttempts(rows.invocations)[0]
          : undefined;
    // Concurrent duplicates run beside each other (and are never retried): none of them ran after another. An effect
    // recorded without invocation was sent while several ran, and a row of the state was written, by one of the
    // racers, beside the others.
    const raced = lastMaker === undefined ? racers.length > 1 && effects.some((effect) => (senderOf.get(effect.requestId) ?? null) === null) : lastMaker.role === 'concurrent';
    const racing = (invocation: InvocationRow): boolean => invocation.role === 'concurrent' && raced;
    const later = operationAttempts(rows.invocations).filter((invocation) => (lastMaker === undefined || invocation.id > lastMaker.id) && !racing(invocation));
    const withChance = later.filter((invocation) => stoppedBy(rows, invocation) === undefined);
    if ((lastMaker !== undefined || raced) && withChance.length === 0) {
      const last = raced && racers.length > 1 ? `invocations ${racers.map((invocation) => invocation.id).join(', ')} ran at once, and none ran after them` : `invocation ${lastMaker!.id} was the last to run`;
      const why = later.length === 0 ? last : later.map((invocation) => `invocation ${invocation.id} ${stoppedBy(rows, invocation)}`).join('; ');
      return warn(this.name, `${operation}: ended ${ended} and left part of its effects (${part.join('; ')}), but no later invocation had the chance to finish them: ${why}`, evidence);
    }
    const chance =
      withChance.length > 0 ? `; invocation${withChance.length === 1 ? '' : 's'} ${withChance.map((invocation) => invocation.id).join(', ')} ran after it and did not finish them` : '';
    return fail(this.name, `${operation}: ended ${ended} and left part of its effects: ${part.join('; ')}${chance}`, evidence);
  },
};

/** Faults that change nothing a client can see but timing. */
const HARMLESS_FAULTS = ['none', 'slow'];

/**
 * How the schedule stopped an invocation before it could finish the work, in
 * words ("was killed by a crash fault", "got 503-before-commit on request 4"),
 * or undefined when nothing did: then it had its chance.
 */
function stoppedBy(rows: CaseRows, invocation: InvocationRow): string | undefined {
  if (invocation.killed && invocation.killReason === 'crash') return 'was killed by a crash fault';
  const faulted = requestsOf(rows, invocation.id).filter((request) => !HARMLESS_FAULTS.includes(request.fault));
  if (faulted.length === 0) return undefined;
  return `got ${faulted.map((request) => `${request.fault} on request ${request.id}`).join(', ')}`;
}

/** Which expected counts were not reached, in words, and whether any was reached at all. */
function shortfalls(
  expected: ReadonlyMap<string, number>,
  got: ReadonlyMap<string, number>,
  words: (key: string, count: number, expected: number) => string,
): { missing: string[]; any: boolean } {
  const missing: string[] = [];
  let any = false;
  for (const [key, n] of expected) {
    const count = Math.min(got.get(key) ?? 0, n);
    if (count > 0) any = true;
    if (count < n) missing.push(words(key, count, n));
  }
  return { missing, any };
}
