import { countByRoute, operationEffects, fail, pass, plural, skip, type Check } from './check.js';
import { operationAttempts, operationOutcome } from './outcome.js';

/**
 * An operation that ended in success leaves exactly its clean run's effects;
 * one that ended in failure (or unknown) leaves none of them or all of them.
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
    const counts = countByRoute(effects);
    const short: string[] = [];
    let complete = 0;
    for (const [route, expected] of baseline.routeCounts) {
      const count = Math.min(counts.get(route) ?? 0, expected);
      if (count === expected) complete += 1;
      else {
        const noun = traits.get(route.split(' ')[0]!)?.noun ?? 'effect';
        short.push(`${plural(count, noun)} on ${route} (clean run: ${expected})`);
      }
    }
    const last = operationAttempts(rows.invocations).at(-1);
    const invocations = last ? [last.id] : [];
    if (outcome === 'success') {
      if (short.length === 0) return pass(this.name, `${operation}: succeeded with all of its clean run's effects`);
      return fail(this.name, `${operation}: reported success but effects are missing: ${short.join('; ')}`, {
        invocations,
        effects: rows.effects.map((effect) => effect.id),
      });
    }
    const nothing = [...baseline.routeCounts.keys()].every((route) => (counts.get(route) ?? 0) === 0);
    if (nothing || short.length === 0) {
      return pass(this.name, `${operation}: ended ${outcome === 'failure' ? 'in failure' : 'with an unknown outcome'} and left ${nothing ? 'none' : 'all'} of its effects`);
    }
    return fail(
      this.name,
      `${operation}: ended ${outcome === 'failure' ? 'in failure' : 'with an unknown outcome'} and left part of its effects: ${short.join('; ')}`,
      { invocations, effects: rows.effects.map((effect) => effect.id) },
    );
  },
};
