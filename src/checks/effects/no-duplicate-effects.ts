import type { CaseRows, EffectRow } from '../../ledger/rows.js';
import { nounFor, traitsForRouteKey } from '../../upstream/route-traits.js';
import { type Baseline, countByFingerprint, countByRoute, describeEffect, describeExpected, fail, operationEffects, pass, plural, type Check } from '../check.js';

/**
 * No operation leaves more effects than its clean run did, on any upstream
 * route. A compensation (see compensationsIn) is not counted.
 */
export const noDuplicateEffects: Check = {
  name: 'no-duplicate-effects',
  holdsWhen: 'no operation leaves more effects than its clean run (for most: at most one)',
  evaluate({ operation, rows, baseline, traits }) {
    const compensations = compensationsIn(rows, baseline, operationEffects(rows));
    const own = operationEffects(rows).filter((effect) => !compensations.includes(effect));
    const counts = countByRoute(own);
    const excess: string[] = [];
    const involvedIds: number[] = [];
    for (const [route, count] of counts) {
      const expected = baseline.routeCounts.get(route) ?? 0;
      if (count <= expected) continue;
      const noun = traitsForRouteKey(traits, route)?.noun ?? 'effect';
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
      const noun = nounFor(traits, example.upstream, example.route);
      excess.push(`${plural(count, noun)} like ${describeExpected(example)} (clean run: ${allowed}): ${involved.map(describeEffect).join('; ')}`);
    }
    const undone = compensations.length > 0 ? ` (not counted: ${plural(compensations.length, 'compensation')} naming an effect of the case, ${compensations.map(describeEffect).join('; ')})` : '';
    if (excess.length === 0) return pass(this.name, `${operation}: no more effects than the clean run${undone}`);
    const requests = [...new Set(own.filter((effect) => involvedIds.includes(effect.id)).map((effect) => effect.requestId))];
    return fail(this.name, `${operation}: duplicate effects: ${excess.join(' | ')}${undone}`, { effects: involvedIds, requests });
  },
};

/**
 * Effects that undo another of the case (a saga's compensation: a refund, a
 * void, a DELETE): on a route the clean run never used, naming in their body
 * or path the resource id of an effect the case committed on a route the clean
 * run did use. They are no second helping of the operation (issue 18, hole
 * 11); one that names nothing of the case still counts as an extra effect.
 */
function compensationsIn(rows: CaseRows, baseline: Baseline, effects: readonly EffectRow[]): EffectRow[] {
  const used = (effect: EffectRow): boolean => baseline.routeCounts.has(`${effect.upstream} ${effect.route}`);
  const ids = effects.filter(used).map((effect) => effect.resourceId).filter((id): id is string => Boolean(id));
  if (ids.length === 0) return [];
  const pathOf = new Map(rows.requests.map((request) => [request.id, request.path.split('?')[0]!]));
  // Whole ids only: `cha_1` is not named by `cha_10`.
  const names = (text: string, id: string): boolean => new RegExp(`(^|[^A-Za-z0-9_-])${escapeRegExp(id)}($|[^A-Za-z0-9_-])`).test(text);
  return effects.filter(
    (effect) => !used(effect) && ids.some((id) => id !== effect.resourceId && (names(effect.body, id) || names(pathOf.get(effect.requestId) ?? '', id))),
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
