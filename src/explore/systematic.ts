import type { Scenario } from '../scenario/load.js';
import { mismatchInput } from '../runner/inputs.js';
import type { CallerActions, FaultBinding, Schedule } from '../core/schedule.js';
import { lastingFaults, lastingParams } from './lasting-faults.js';
import { raceWindow } from './race-window.js';

/** The catalog's faults a database service's COMMITs can have (see src/services/index.ts COMMIT_FAULTS). */
const COMMIT_FAULT_NAMES = ['reset-after-commit', 'timeout-after-commit'];

export interface PlannedCase {
  id: string;
  schedule: Schedule;
}

/** Which upstreams an operation's clean run talked to, in order of first contact. */
export type BaselineContacts = ReadonlyMap<string, readonly string[]>;

/**
 * Upstreams of several routes only: operation → upstream → the routes
 * (`METHOD /path`, as fault bindings name them) its clean run sent to, in
 * order of first contact, with how many requests each.
 */
export type RouteContacts = ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<string, number>>>;

/**
 * Where the systematic pass puts a fault on one upstream: its requests in
 * order, or, on an upstream of several routes, each route's requests in order
 * (so `/audit` after `/charges` gets every position from 1 to depth, as it
 * would on an upstream of its own).
 */
interface FaultSite {
  upstream: string;
  route?: string;
  /** `api POST /audit` or `payments`: the case id's part after `@`. */
  label: string;
}

function faultSites(upstreams: readonly string[], routes: ReadonlyMap<string, ReadonlyMap<string, number>> | undefined): FaultSite[] {
  return upstreams.flatMap((upstream) => {
    const own = routes?.get(upstream);
    if (!own || own.size === 0) return [{ upstream, label: upstream }];
    return [...own.keys()].map((route) => ({ upstream, route, label: `${upstream} ${route}` }));
  });
}

/**
 * The systematic pass: for each mutating operation, every listed fault at
 * every request position (1..depth) of every upstream its clean run talked
 * to (of every route it sent to, on an upstream of several routes), one
 * fault per case; `none` once per operation; retryable faults on every
 * request from the first on; then the fixed probes. Deterministic order.
 * Faults the target cannot experience are left out (the report says which).
 */
export function systematicCases(
  scenario: Scenario,
  contacts: BaselineContacts,
  unsupportedFaults: ReadonlySet<string> = new Set(),
  routeContacts: RouteContacts = new Map(),
): PlannedCase[] {
  const caller: CallerActions = { ...scenario.caller };
  const cases: PlannedCase[] = [];
  const bind = (site: FaultSite, ordinal: number, fault: string, andAfter = false): FaultBinding => {
    const params = andAfter ? lastingParams(fault, scenario.faultParams[fault]) : scenario.faultParams[fault];
    return {
      upstream: site.upstream,
      ...(site.route !== undefined ? { route: site.route } : {}),
      ordinal,
      fault,
      ...(andAfter ? { andAfter } : {}),
      ...(params ? { params } : {}),
    };
  };
  const faults = scenario.faults.filter((fault) => !unsupportedFaults.has(fault));
  for (const operation of scenario.operations.filter((op) => op.mutating)) {
    const name = operation.name;
    const upstreams = contacts.get(name) ?? [];
    const sites = faultSites(upstreams, routeContacts.get(name));
    const add = (id: string, bindings: FaultBinding[], actions: CallerActions = caller): void => {
      cases.push({ id: `${name}/${id}`, schedule: { operation: name, faults: bindings, caller: actions } });
    };
    // The fault-free case always runs: reachability and the contract level are judged on it.
    for (const fault of faults.includes('none') ? faults : ['none', ...faults]) {
      if (fault === 'none') {
        add('none', []);
        continue;
      }
      for (const site of sites) {
        // A database service (its requests are COMMITs) has only the faults a connection can have after a commit.
        if (scenario.services?.[site.upstream] && !COMMIT_FAULT_NAMES.includes(fault)) continue;
        for (let ordinal = 1; ordinal <= scenario.depth; ordinal += 1) add(`${fault}@${site.label}#${ordinal}`, [bind(site, ordinal, fault)]);
      }
    }
    if (scenario.probes.persistent) {
      for (const fault of faults) {
        for (const site of sites) {
          if (lastingFaults(scenario, site.upstream, [fault], site.route).length > 0) add(`${fault}@${site.label}#1+`, [bind(site, 1, fault, true)]);
        }
      }
    }
    const probe = { retries: 0, key: 'same' as const, replay: false, delayMs: 0 };
    if (scenario.probes.concurrent) {
      const first = upstreams.find((upstream) => !scenario.services?.[upstream]);
      const window = first ? [raceWindow(first)] : [];
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
