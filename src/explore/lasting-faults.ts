import type { Scenario } from '../scenario/load.js';

/** Faults a client is expected to retry through, so they may last: held on every request from one on (an outage). */
const LASTING_FAULTS = ['503-before-commit', '429-retry-after', 'timeout-before-commit', '409-in-flight'];
/** Of those, the ones only an upstream that keeps idempotency keys answers: held only on such upstreams. */
const KEYED_FAULTS = ['409-in-flight'];

/** Does this upstream keep idempotency keys (so it can say a key is still in flight)? */
function keyed(scenario: Scenario, upstream: string): boolean {
  const spec = scenario.upstreams[upstream];
  if (spec?.model === 'resource') return spec.honoursIdempotencyKey;
  if (spec?.model === 'custom') return spec.deduplicates;
  // Several routes: a keyed route can answer 409 (faults bound to the upstream count all its routes' requests).
  if (spec?.model === 'routes') return spec.routes.some((route) => route.model === 'resource' && route.honoursIdempotencyKey);
  return false;
}

/**
 * Of these faults, the ones that may last on this upstream (the systematic
 * pass's persistent probe, and exploration's outages): retryable, and a 409
 * "key in flight" only where the upstream keeps keys.
 */
export function lastingFaults(scenario: Scenario, upstream: string, faults: readonly string[]): string[] {
  return faults.filter((fault) => LASTING_FAULTS.includes(fault) && (!KEYED_FAULTS.includes(fault) || keyed(scenario, upstream)));
}
