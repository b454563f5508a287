import type { Scenario } from '../scenario/load.js';
import { mismatchInput } from '../runner/inputs.js';
import type { CallerActions, FaultBinding, Schedule } from '../core/schedule.js';
import { lastingFaults } from './lasting-faults.js';
import { raceWindow } from './race-window.js';

export interface PlannedCase {
  id: string;
  schedule: Schedule;
}

/** Which upstreams an operation's clean run talked to, in order of first contact. */
export type BaselineContacts = ReadonlyMap<string, readonly string[]>;

/**
 * The systematic pass: for each mutating operation, every listed fault at
 * every request position (1..depth) of every upstream its clean run talked
 * to, one fault per case; `none` once per operation; retryable faults on every
 * request from the first on; then the fixed probes. Deterministic order.
 * Faults the target cannot experience are left out (the report says which).
 */
export function systematicCases(
  scenario: Scenario,
  contacts: BaselineContacts,
  unsupportedFaults: ReadonlySet<string> = new Set(),
): PlannedCase[] {
  const caller: CallerActions = { ...scenario.caller };
  const cases: PlannedCase[] = [];
  const bind = (upstream: string, ordinal: number, fault: string, andAfter = false): FaultBinding => ({
    upstream,
    ordinal,
    fault,
    ...(andAfter ? { andAfter } : {}),
    ...(scenario.faultParams[fault] ? { params: scenario.faultParams[fault] } : {}),
  });
  const faults = scenario.faults.filter((fault) => !unsupportedFaults.has(fault));
  for (const operation of scenario.operations.filter((op) => op.mutating)) {
    const name = operation.name;
    const upstreams = contacts.get(name) ?? [];
    const add = (id: string, bindings: FaultBinding[], actions: CallerActions = caller): void => {
      cases.push({ id: `${name}/${id}`, schedule: { operation: name, faults: bindings, caller: actions } });
    };
    // The fault-free case always runs: reachability and the contract level are judged on it.
    for (const fault of faults.includes('none') ? faults : ['none', ...faults]) {
      if (fault === 'none') {
        add('none', []);
        continue;
      }
      for (const upstream of upstreams) {
        for (let ordinal = 1; ordinal <= scenario.depth; ordinal += 1) add(`${fault}@${upstream}#${ordinal}`, [bind(upstream, ordinal, fault)]);
      }
    }
    if (scenario.probes.persistent) {
      for (const fault of faults) {
        for (const upstream of upstreams) {
          if (lastingFaults(scenario, upstream, [fault]).length > 0) add(`${fault}@${upstream}#1+`, [bind(upstream, 1, fault, true)]);
        }
      }
    }
    const probe = { retries: 0, key: 'same' as const, replay: false, delayMs: 0 };
    if (scenario.probes.concurrent) {
      const window = upstreams[0] ? [raceWindow(upstreams[0])] : [];
      add('probe:concurrent', window, { ...probe, concurrent: 2 });
    }
    if (scenario.probes.mismatch && mismatchInput(operation)) add('probe:key-mismatch', [], { ...caller, replay: false, mismatch: true });
    if (scenario.probes.dryRun && operation.dryRun) add('probe:dry-run', [], { ...probe, dryRun: true });
    if (scenario.probes.missingKey && scenario.target.kind === 'http' && scenario.target.requireKey) {
      add('probe:missing-key', [], { ...probe, omitKey: true });
    }
  }
  return cases;
}
