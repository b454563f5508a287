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
      (binding.route === undefined ? binding.ordinal === request.ordinal : binding.ordinal === request.routeOrdinal(binding.route)),
  );
}
