import type { Fault } from './fault.js';
import { none } from './none.js';
import { unavailableBeforeCommit } from './503-before-commit.js';
import { unavailableAfterCommit } from './503-after-commit.js';
import { timeoutBeforeCommit } from './timeout-before-commit.js';
import { timeoutAfterCommit } from './timeout-after-commit.js';
import { resetBeforeCommit } from './reset-before-commit.js';
import { resetAfterCommit } from './reset-after-commit.js';
import { crashAfterCommit } from './crash-after-commit.js';
import { internalErrorAfterCommit } from './500-after-commit.js';
import { truncateAfterCommit } from './truncate-after-commit.js';
import { tooManyRequests } from './429-retry-after.js';
import { slow } from './slow.js';
import { crashBeforeCommit } from './crash-before-commit.js';
import { permanentError } from './permanent-error.js';
import { inFlight } from './409-in-flight.js';
import { restartAfterCommit } from './restart-after-commit.js';

/** Every fault of the catalog, in the order reports list them. */
export const FAULTS = [
  none,
  unavailableBeforeCommit,
  unavailableAfterCommit,
  timeoutBeforeCommit,
  timeoutAfterCommit,
  resetBeforeCommit,
  resetAfterCommit,
  internalErrorAfterCommit,
  truncateAfterCommit,
  tooManyRequests,
  inFlight,
  slow,
  crashAfterCommit,
  crashBeforeCommit,
  restartAfterCommit,
  permanentError,
] as const satisfies readonly Fault[];

/** Faults that kill the target process: meaningless for in-process (module) targets. */
export const CRASH_FAULTS: readonly string[] = [crashAfterCommit.name, crashBeforeCommit.name];

/** Faults that restart the target's process between invocations: only for an API the harness started. */
export const RESTART_FAULTS: readonly string[] = FAULTS.filter((fault: Fault) => fault.restartsTarget).map((fault) => fault.name);

export type FaultName = (typeof FAULTS)[number]['name'];

export const FAULT_NAMES = FAULTS.map((fault) => fault.name) as [string, ...string[]];

const byName = new Map<string, Fault>(FAULTS.map((fault) => [fault.name, fault]));

export function faultNamed(name: string): Fault {
  const fault = byName.get(name);
  if (!fault) throw new Error(`unknown fault "${name}" (the scenario validator should have caught this)`);
  return fault;
}
