import type { Scenario } from '../scenario/load.js';
import type { RouteSpec, UpstreamSpec } from '../scenario/schema.js';
import { routeIndexFor } from '../upstream/route-traits.js';
import type { FaultParams } from '../faults/fault.js';

/** Faults a client is expected to retry through, so they may last: held on every request from one on (an outage). */
const LASTING_FAULTS = ['503-before-commit', '429-retry-after', 'timeout-before-commit', '409-in-flight'];
/** Of those, the ones only an upstream that keeps idempotency keys answers: held only on such upstreams. */
const KEYED_FAULTS = ['409-in-flight'];

/**
 * Does this upstream keep idempotency keys (so it can say a key is still in
 * flight)? On an upstream of several routes, the route that serves `route`
 * (`POST /charges`); without one, whether any of its routes does.
 */
function keyed(scenario: Scenario, upstream: string, route?: string): boolean {
  const spec = scenario.upstreams[upstream];
  if (spec?.model === 'routes') {
    if (route === undefined) return spec.routes.some((entry) => keyedModel(entry));
    const index = routeIndexFor(spec.routes.map((entry) => entry.path), route.slice(route.indexOf(' ') + 1));
    return index !== undefined && keyedModel(spec.routes[index]!);
  }
  return spec !== undefined && keyedModel(spec);
}

function keyedModel(spec: RouteSpec | UpstreamSpec): boolean {
  if (spec.model === 'resource') return spec.honoursIdempotencyKey;
  if (spec.model === 'custom') return spec.deduplicates;
  if (spec.model === 'har') return spec.honoursIdempotencyKey;
  if (spec.model === 'openapi') return spec.honoursIdempotencyKey || Object.values(spec.operations).some((own) => own.honoursIdempotencyKey === true);
  return false;
}

/**
 * Of these faults, the ones that may last on this upstream, or on one route
 * of it (the systematic pass's persistent probe, and exploration's outages):
 * retryable, and a 409 "key in flight" only where the upstream (or route)
 * keeps keys.
 */
export function lastingFaults(scenario: Scenario, upstream: string, faults: readonly string[], route?: string): string[] {
  // A database service has only its COMMIT faults, none of them an outage.
  if (scenario.services?.[upstream]) return [];
  return faults.filter((fault) => LASTING_FAULTS.includes(fault) && (!KEYED_FAULTS.includes(fault) || keyed(scenario, upstream, route)));
}

/**
 * A lasting 503 says no Retry-After unless the scenario gives one: an outage is
 * where the target's own back-off and bound are measured, and with a server-set
 * wait on every 503 neither could be (a client honouring 1 s would also take
 * 10 s to show it never stops). A single 503 keeps the fault's default
 * Retry-After, so honouring it is judged there.
 */
export function lastingParams(fault: string, params: FaultParams | undefined): FaultParams | undefined {
  if (fault !== '503-before-commit' || params?.retryAfterSeconds !== undefined) return params;
  return { ...params, retryAfterSeconds: null };
}
