import type { Fault } from './fault.js';
import { none } from './none.js';
import { unavailableBeforeCommit } from './503-before-commit.js';
import { unavailableAfterCommit } from './503-after-commit.js';
import { timeoutBeforeCommit } from './timeout-before-commit.js';
import { timeoutAfterCommit } from './timeout-after-commit.js';
import { resetBeforeCommit } from './reset-before-commit.js';
import { resetAfterCommit } from './reset-after-commit.js';
import { crashAfterCommit } from './crash-after-commit.js';

/** Every fault of the catalog, in the order reports list them. */
export const FAULTS = [
  none,
  unavailableBeforeCommit,
  unavailableAfterCommit,
  timeoutBeforeCommit,
  timeoutAfterCommit,
  resetBeforeCommit,
  resetAfterCommit,
  crashAfterCommit,
] as const satisfies readonly Fault[];

export type FaultName = (typeof FAULTS)[number]['name'];

export const FAULT_NAMES = FAULTS.map((fault) => fault.name) as [string, ...string[]];

const byName = new Map<string, Fault>(FAULTS.map((fault) => [fault.name, fault]));

export function faultNamed(name: string): Fault {
  const fault = byName.get(name);
  if (!fault) throw new Error(`unknown fault "${name}" (the scenario validator should have caught this)`);
  return fault;
}
