import { countByRoute, plural, type Baseline } from '../checks/check.js';
import type { InvocationOutcome } from '../checks/outcome.js';
import type { CaseRows } from '../ledger/rows.js';
import type { UpstreamTraits } from '../upstream/model.js';
import { traitsForRouteKey } from '../upstream/route-traits.js';

/** "2 charges committed on payments POST /charges (clean run: 1); ended in success after 2 invocations" */
export function describeOutcome(
  rows: CaseRows,
  baseline: Baseline,
  outcome: InvocationOutcome,
  traits: ReadonlyMap<string, UpstreamTraits>,
): string {
  const counts = countByRoute(rows.effects);
  const routes = new Set([...baseline.routeCounts.keys(), ...counts.keys()]);
  const effects = [...routes].sort().map((route) => {
    const noun = traitsForRouteKey(traits, route)?.noun ?? 'effect';
    return `${plural(counts.get(route) ?? 0, noun)} committed on ${route} (clean run: ${baseline.routeCounts.get(route) ?? 0})`;
  });
  const attempts = rows.invocations.filter((invocation) => invocation.role !== 'replay').length;
  const dryRun = rows.invocations.find((invocation) => invocation.role === 'dry-run');
  // A dry-run probe tries nothing: say what the dry run said, not "an unknown outcome".
  if (dryRun && rows.invocations.every((invocation) => invocation.role === 'dry-run')) {
    const said = dryRun.effect === null ? 'reported no effect' : `reported "${dryRun.effect}"`;
    const status = dryRun.httpStatus !== undefined && dryRun.targetKind === 'http' ? `status ${dryRun.httpStatus ?? 'none'}` : dryRun.killed ? 'killed' : `exit ${dryRun.exitCode ?? dryRun.signal}`;
    return [...(effects.length ? effects : ['no effects']), `a dry run only: it ${said}, ${status}`].join('; ');
  }
  const ended = outcome === 'success' ? 'ended in success' : outcome === 'failure' ? 'ended in failure' : 'ended with an unknown outcome';
  return [...(effects.length ? effects : ['no effects']), `${ended} after ${plural(attempts, 'invocation')}`].join('; ');
}
