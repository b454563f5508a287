import type { FaultParams } from '../faults/fault.js';

/**
 * A schedule: which fault hits which upstream request, and what the caller
 * does. Faults are bound to request ordinals, never to wall-clock time, so a
 * schedule plus its scenario fully determines a case. Plain JSON throughout.
 */
export interface FaultBinding {
  upstream: string;
  /** 1-based: the n-th request of the case to this upstream (or to `route`, when given). */
  ordinal: number;
  /** Also every later request (a persistent outage), not just the one at `ordinal`. */
  andAfter?: boolean;
  /** Count only requests to this route, e.g. `POST /charges`. */
  route?: string;
  fault: string;
  params?: FaultParams;
}

export interface CallerActions {
  /** Retries after a failed invocation. */
  retries: number;
  /** Does a retry reuse the key or make a new one? */
  key: 'same' | 'fresh';
  /** After a success, run once more with the same key. */
  replay: boolean;
  delayMs: number;
  /** Probe: send the first invocation this many times at once, with one key (no retries). */
  concurrent?: number;
  /** Probe: after a success, invoke again with the same key and a different payload. */
  mismatch?: boolean;
  /** Probe: one dry-run invocation instead of the operation. */
  dryRun?: boolean;
  /** Probe (http): one request without its idempotency key. */
  omitKey?: boolean;
  /** The caller gives up on its first attempt after this long, even if the target is still working. */
  abandonFirstAfterMs?: number;
}

export interface Schedule {
  operation: string;
  faults: FaultBinding[];
  caller: CallerActions;
}

/** Finds the binding for a request, if any. */
export function bindingFor(
  faults: readonly FaultBinding[],
  request: { upstream: string; ordinal: number; routeOrdinal: (route: string) => number },
): FaultBinding | undefined {
  return faults.find(
    (binding) =>
      binding.upstream === request.upstream &&
      matchesOrdinal(binding, binding.route === undefined ? request.ordinal : request.routeOrdinal(binding.route)),
  );
}

function matchesOrdinal(binding: FaultBinding, ordinal: number): boolean {
  if (ordinal < 1) return false;
  return binding.andAfter ? ordinal >= binding.ordinal : ordinal === binding.ordinal;
}
