import type { InvocationRow } from '../ledger/rows.js';
import type { ExitCodeContract } from './check.js';

/**
 * What an invocation's caller can conclude. An invocation that was killed, or
 * that says it cannot tell, has an unknown outcome (Jepsen's `:info`): checks
 * count it neither as done nor as failed until the final state says which.
 */
export type InvocationOutcome = 'success' | 'failure' | 'unknown';

export function invocationOutcome(invocation: InvocationRow, exitCodes: ExitCodeContract): InvocationOutcome {
  if (invocation.killed || invocation.signal !== null || invocation.exitCode === null) return 'unknown';
  if (invocation.effect === 'unknown') return 'unknown';
  return exitCodes.success.includes(invocation.exitCode) ? 'success' : 'failure';
}

/** The operation ends as its last attempt (not counting the replay) ended. */
export function operationOutcome(invocations: readonly InvocationRow[], exitCodes: ExitCodeContract): InvocationOutcome {
  const attempts = invocations.filter((invocation) => invocation.role !== 'replay');
  const last = attempts.at(-1);
  return last ? invocationOutcome(last, exitCodes) : 'unknown';
}

export const SUCCESS_EFFECTS = ['created', 'updated', 'deleted', 'noop'] as const;
export const FAILURE_EFFECTS = ['none', 'unknown'] as const;

export function isSuccessEffect(effect: string): boolean {
  return (SUCCESS_EFFECTS as readonly string[]).includes(effect) || effect.startsWith('would_');
}

export function isFailureEffect(effect: string): boolean {
  return (FAILURE_EFFECTS as readonly string[]).includes(effect);
}
