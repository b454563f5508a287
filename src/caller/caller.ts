import type { InvocationRole, InvocationRow } from '../ledger/rows.js';
import type { CallerActions } from '../core/schedule.js';
import type { InvocationOutcome } from '../checks/outcome.js';

/** How one invocation differs from a plain attempt. */
export interface InvocationVariant {
  /** Use the operation's dry-run form. */
  dryRun?: boolean;
  /** Send no idempotency key (http). */
  omitKey?: boolean;
  /** Use the operation's mismatch input: same key, different payload. */
  mismatch?: boolean;
  /** Give up on this invocation after this long. */
  abandonAfterMs?: number;
}

export interface CallerDeps {
  /** Runs one invocation with this key and returns its ledger row. */
  invoke(role: InvocationRole, key: string, seq: number, variant?: InvocationVariant): Promise<InvocationRow>;
  /** The n-th key of this case. */
  keyFor(n: number): string;
  outcomeOf(invocation: InvocationRow): InvocationOutcome;
}

/**
 * Plays the agent that wants one operation done: it invokes, retries a failed
 * or unknown outcome per the policy (same key or a fresh one), and after a
 * success replays once with the same key. Probes replace or extend that
 * sequence: a dry run, a request without key, a concurrent duplicate, or the
 * same key with another payload.
 */
export async function playOperation(actions: CallerActions, deps: CallerDeps): Promise<void> {
  const firstKey = deps.keyFor(1);
  if (actions.dryRun) {
    await deps.invoke('dry-run', firstKey, 1, { dryRun: true });
    return;
  }
  if (actions.omitKey) {
    await deps.invoke('missing-key', firstKey, 1, { omitKey: true });
    return;
  }
  if (actions.concurrent && actions.concurrent > 1) {
    await Promise.all(Array.from({ length: actions.concurrent }, (_, i) => deps.invoke('concurrent', firstKey, i + 1)));
    return;
  }
  let keyNumber = 1;
  let key = firstKey;
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
    const variant = attempt === 0 && actions.abandonFirstAfterMs !== undefined ? { abandonAfterMs: actions.abandonFirstAfterMs } : undefined;
    const invocation = await deps.invoke('attempt', key, seq, variant);
    if (deps.outcomeOf(invocation) === 'success') {
      if (actions.replay) await deps.invoke('replay', key, (seq += 1));
      if (actions.mismatch) await deps.invoke('mismatch', key, (seq += 1), { mismatch: true });
      return;
    }
  }
}
