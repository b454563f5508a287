import type { Scenario } from '../scenario/load.js';
import { mismatchInput } from '../runner/inputs.js';
import type { CallerActions, FaultBinding, Schedule } from '../core/schedule.js';
import { raceWindow } from './race-window.js';
import type { FaultParams } from '../faults/fault.js';

export interface PlannedCase {
  id: string;
  schedule: Schedule;
}

/** Which upstreams an operation's clean run talked to, in order of first contact. */
export type BaselineContacts = ReadonlyMap<string, readonly string[]>;

/** Faults a client is expected to retry through: held on every request, retries must stay bounded. */
const PERSISTENT_FAULTS = ['503-before-commit', '429-retry-after', 'timeout-before-commit', '409-in-flight'];
/** Of those, the ones only an upstream that keeps idempotency keys answers: held only on such upstreams. */
const KEYED_FAULTS = ['409-in-flight'];

/**
 * The persistent probe's 503s say no Retry-After unless the scenario gives one:
 * an outage is where the target's own back-off and bound are measured, and with
 * a server-set wait on every 503 neither could be (a client honouring 1 s would
 * also take 10 s to show it never stops). The single 503 cases keep the fault's
 * default Retry-After, so honouring it is judged there.
 */
function persistentParams(fault: string, params: FaultParams | undefined): FaultParams | undefined {
  if (fault !== '503-before-commit' || params?.retryAfterSeconds !== undefined) return params;
  return { ...params, retryAfterSeconds: null };
}

/** Does this upstream keep idempotency keys (so it can say a key is still in flight)? */
function keyed(scenario: Scenario, upstream: string): boolean {
  const spec = scenario.upstreams[upstream];
  if (spec?.model === 'resource') return spec.honoursIdempotencyKey;
  if (spec?.model === 'custom') return spec.deduplicates;
  return false;
}

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
  const bind = (upstream: string, ordinal: number, fault: string, andAfter = false): FaultBinding => {
    const params = andAfter ? persistentParams(fault, scenario.faultParams[fault]) : scenario.faultParams[fault];
    return { upstream, ordinal, fault, ...(andAfter ? { andAfter } : {}), ...(params ? { params } : {}) };
  };
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
      for (const fault of faults.filter((f) => PERSISTENT_FAULTS.includes(f))) {
        for (const upstream of upstreams) {
          if (KEYED_FAULTS.includes(fault) && !keyed(scenario, upstream)) continue;
          add(`${fault}@${upstream}#1+`, [bind(upstream, 1, fault, true)]);
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
