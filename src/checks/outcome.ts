import type { InvocationRow } from '../ledger/rows.js';
import type { ExitCodeContract } from './check.js';

/**
 * What an invocation's caller can conclude. An invocation that was killed, or
 * that says it cannot tell, has an unknown outcome (Jepsen's `:info`): checks
 * count it neither as done nor as failed until the final state says which.
 */
export type InvocationOutcome = 'success' | 'failure' | 'unknown';

export function invocationOutcome(invocation: InvocationRow, exitCodes: ExitCodeContract): InvocationOutcome {
  if (invocation.killed || invocation.signal !== null) return 'unknown';
  if (invocation.effect === 'unknown') return 'unknown';
  if (invocation.targetKind === 'http') {
    // No response (timeout, reset): the caller cannot know. A 2xx is done; any other status is a refusal.
    if (invocation.httpStatus === null || invocation.httpStatus === undefined) return 'unknown';
    return invocation.httpStatus >= 200 && invocation.httpStatus < 300 ? 'success' : 'failure';
  }
  // Module targets record a return as exit 0 and a throw as exit 1.
  if (invocation.exitCode === null) return 'unknown';
  return exitCodes.success.includes(invocation.exitCode) ? 'success' : 'failure';
}

/** Invocations that try to get the operation done (not replays and not the probes' extra invocations). */
export function operationAttempts(invocations: readonly InvocationRow[]): InvocationRow[] {
  return invocations.filter((invocation) => OPERATION_ROLES.includes(invocation.role));
}

const OPERATION_ROLES: readonly InvocationRow['role'][] = ['baseline', 'attempt', 'concurrent'];

/**
 * The operation ends as its last attempt ended; for concurrent duplicates, it
 * succeeded if one of them did. `unknown` also when nothing tried (a probe
 * that only dry-ran).
 */
export function operationOutcome(invocations: readonly InvocationRow[], exitCodes: ExitCodeContract): InvocationOutcome {
  const attempts = operationAttempts(invocations);
  if (attempts.some((invocation) => invocation.role === 'concurrent')) {
    const outcomes = attempts.map((invocation) => invocationOutcome(invocation, exitCodes));
    if (outcomes.includes('success')) return 'success';
    return outcomes.includes('unknown') ? 'unknown' : 'failure';
  }
  const last = attempts.at(-1);
  return last ? invocationOutcome(last, exitCodes) : 'unknown';
}

export const SUCCESS_EFFECTS = ['created', 'updated', 'deleted', 'noop'] as const;
export const FAILURE_EFFECTS = ['none', 'unknown'] as const;

export function isSuccessEffect(effect: string): boolean {
  return (SUCCESS_EFFECTS as readonly string[]).includes(effect) || /^would_[a-z_]+$/.test(effect);
}

export function isFailureEffect(effect: string): boolean {
  return (FAILURE_EFFECTS as readonly string[]).includes(effect);
}
