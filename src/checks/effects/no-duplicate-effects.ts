import { countByFingerprint, countByRoute, describeEffect, describeExpected, fail, operationEffects, pass, plural, type Check } from '../check.js';

/** No operation leaves more effects than its clean run did, on any upstream route. */
export const noDuplicateEffects: Check = {
  name: 'no-duplicate-effects',
  holdsWhen: 'no operation leaves more effects than its clean run (for most: at most one)',
  evaluate({ operation, rows, baseline, traits }) {
    const own = operationEffects(rows);
    const counts = countByRoute(own);
    const excess: string[] = [];
    const involvedIds: number[] = [];
    for (const [route, count] of counts) {
      const expected = baseline.routeCounts.get(route) ?? 0;
      if (count <= expected) continue;
      const upstream = route.split(' ')[0]!;
      const noun = traits.get(upstream)?.noun ?? 'effect';
      const involved = own.filter((effect) => `${effect.upstream} ${effect.route}` === route);
      involvedIds.push(...involved.map((effect) => effect.id));
      excess.push(`${plural(count, noun)} on ${route} (clean run: ${expected}): ${involved.map(describeEffect).join('; ')}`);
    }
    // The same route count can hide a double charge next to a missing fee: compare fingerprints too.
    const expected = countByFingerprint(baseline.effects);
    for (const [fingerprint, count] of countByFingerprint(own)) {
      const allowed = expected.get(fingerprint) ?? 0;
      if (allowed === 0 || count <= allowed) continue;
      const involved = own.filter((effect) => effect.fingerprint === fingerprint);
      if (involved.every((effect) => involvedIds.includes(effect.id))) continue;
      involvedIds.push(...involved.map((effect) => effect.id));
      const example = baseline.effects.find((effect) => effect.fingerprint === fingerprint)!;
      const noun = traits.get(example.upstream)?.noun ?? 'effect';
      excess.push(`${plural(count, noun)} like ${describeExpected(example)} (clean run: ${allowed}): ${involved.map(describeEffect).join('; ')}`);
    }
    if (excess.length === 0) return pass(this.name, `${operation}: no more effects than the clean run`);
    const requests = [...new Set(own.filter((effect) => involvedIds.includes(effect.id)).map((effect) => effect.requestId))];
    return fail(this.name, `${operation}: duplicate effects: ${excess.join(' | ')}`, { effects: involvedIds, requests });
  },
};
