import type { InvocationRole, InvocationRow } from '../ledger/rows.js';
import type { CallerActions } from '../explore/schedule.js';
import type { InvocationOutcome } from '../checks/outcome.js';

export interface CallerDeps {
  /** Runs one invocation with this key and returns its ledger row. */
  invoke(role: InvocationRole, key: string, seq: number): Promise<InvocationRow>;
  /** The n-th key of this case. */
  keyFor(n: number): string;
  outcomeOf(invocation: InvocationRow): InvocationOutcome;
}

/**
 * Plays the agent that wants one operation done: it invokes, retries a failed
 * or unknown outcome per the policy (same key or a fresh one), and after a
 * success replays once with the same key.
 */
export async function playOperation(actions: CallerActions, deps: CallerDeps): Promise<void> {
  let keyNumber = 1;
  let key = deps.keyFor(keyNumber);
  let seq = 0;
  for (let attempt = 0; attempt <= actions.retries; attempt += 1) {
    if (attempt > 0) {
      if (actions.key === 'fresh') {
        keyNumber += 1;
        key = deps.keyFor(keyNumber);
      }
      if (actions.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, actions.delayMs));
    }
    seq += 1;
    const invocation = await deps.invoke('attempt', key, seq);
    if (deps.outcomeOf(invocation) === 'success') {
      if (actions.replay) await deps.invoke('replay', key, seq + 1);
      return;
    }
  }
}
