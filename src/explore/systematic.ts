import type { Scenario } from '../scenario/load.js';
import type { CallerActions, Schedule } from './schedule.js';

export interface PlannedCase {
  id: string;
  schedule: Schedule;
}

/** Which upstreams an operation's clean run talked to, in order of first contact. */
export type BaselineContacts = ReadonlyMap<string, readonly string[]>;

/**
 * The systematic pass: for each mutating operation, every listed fault at
 * every request position (1..depth) of every upstream its clean run talked
 * to, one fault per case; `none` once per operation. Deterministic order.
 */
export function systematicCases(scenario: Scenario, contacts: BaselineContacts): PlannedCase[] {
  const caller: CallerActions = { ...scenario.caller };
  const cases: PlannedCase[] = [];
  for (const operation of scenario.operations.filter((op) => op.mutating)) {
    const upstreams = contacts.get(operation.name) ?? [];
    for (const fault of scenario.faults) {
      if (fault === 'none') {
        cases.push({ id: `${operation.name}/none`, schedule: { operation: operation.name, faults: [], caller } });
        continue;
      }
      for (const upstream of upstreams) {
        for (let ordinal = 1; ordinal <= scenario.depth; ordinal += 1) {
          cases.push({
            id: `${operation.name}/${fault}@${upstream}#${ordinal}`,
            schedule: { operation: operation.name, faults: [{ upstream, ordinal, fault }], caller },
          });
        }
      }
    }
  }
  return cases;
}
