import type { CaseRows, EffectRow } from '../../ledger/rows.js';
import { traitsForRouteKey } from '../../upstream/route-traits.js';
import { countByRoute, describeEffect, fail, isStateEffect, pass, plural, skip, type Check } from '../check.js';

/**
 * Two (or more) concurrent invocations with one key (the probe:concurrent
 * case's 'concurrent' invocations) commit at most once: together they leave
 * at most the clean run's effects on every route. Requests sent while several
 * racers ran may be recorded without invocation; every effect outside other
 * roles' requests counts. How each racer answered is the contract check
 * concurrent-same-key's business.
 */
export const concurrentCommitsOnce: Check = {
  name: 'concurrent-commits-once',
  holdsWhen: 'two concurrent invocations with one key together commit no more than the clean run',
  evaluate({ operation, rows, baseline, traits }) {
    const racers = rows.invocations.filter((invocation) => invocation.role === 'concurrent');
    if (racers.length < 2) return skip(this.name, `${operation}: not a concurrency probe (${plural(racers.length, 'concurrent invocation')})`);
    const effects = racerEffects(rows);
    const problems: string[] = [];
    const involvedIds: number[] = [];
    for (const [route, count] of countByRoute(effects)) {
      const expected = baseline.routeCounts.get(route) ?? 0;
      if (count <= expected) continue;
      const noun = traitsForRouteKey(traits, route)?.noun ?? 'effect';
      const involved = effects.filter((effect) => `${effect.upstream} ${effect.route}` === route);
      involvedIds.push(...involved.map((effect) => effect.id));
      problems.push(`together they committed ${plural(count, noun)} on ${route} (clean run: ${expected}): ${bySender(rows, involved, noun)}`);
    }
    const ids = racers.map((racer) => racer.id).join(', ');
    if (problems.length === 0) {
      return pass(this.name, `${operation}: concurrent invocations ${ids} with key ${racers[0]!.key} committed at most once (${plural(effects.length, 'effect')})`);
    }
    return fail(this.name, `${operation}: concurrent invocations ${ids} with key ${racers[0]!.key}: ${problems.join('; ')}`, {
      invocations: racers.map((racer) => racer.id),
      requests: [...new Set(effects.filter((effect) => involvedIds.includes(effect.id)).map((effect) => effect.requestId))],
      effects: involvedIds,
    });
  },
};

/** The effects of the racers' requests: those attributed to a racer, or to no invocation. */
export function racerEffects(rows: CaseRows): EffectRow[] {
  const racerIds = new Set(rows.invocations.filter((invocation) => invocation.role === 'concurrent').map((invocation) => invocation.id));
  const requestIds = new Set(rows.requests.filter((request) => request.invocationId === null || racerIds.has(request.invocationId)).map((request) => request.id));
  // The target's own state (requestId 0) is read after the racers: whatever it holds is theirs together.
  return rows.effects.filter((effect) => requestIds.has(effect.requestId) || isStateEffect(effect));
}

/**
 * Effects grouped by the invocation whose request committed them, so a message
 * never blames a racer for another's retry: "invocation 1: 2 charges (effect
 * 1 ..., effect 2 ...); invocation 2: none".
 */
function bySender(rows: CaseRows, effects: readonly EffectRow[], noun: string): string {
  const senderOf = new Map(rows.requests.map((request) => [request.id, request.invocationId]));
  const groups = new Map<string, EffectRow[]>();
  for (const effect of effects) {
    const sender = senderOf.get(effect.requestId);
    const label = isStateEffect(effect) ? "in the target's own state after they ran" : sender === null || sender === undefined ? 'sent while both ran (sender unknown)' : `invocation ${sender}`;
    groups.set(label, [...(groups.get(label) ?? []), effect]);
  }
  const racers = rows.invocations.filter((invocation) => invocation.role === 'concurrent');
  // Rows of the target's state name no racer: saying "invocation 1: none" beside them would blame nobody truly.
  if (!effects.every(isStateEffect)) for (const racer of racers) if (!groups.has(`invocation ${racer.id}`)) groups.set(`invocation ${racer.id}`, []);
  return [...groups].map(([label, group]) => `${label}: ${group.length === 0 ? `no ${noun}` : `${plural(group.length, noun)} (${group.map(describeEffect).join('; ')})`}`).join('; ');
}
