import fc from 'fast-check';
import { RetryproofError } from '../errors.js';
import type { Scenario } from '../scenario/load.js';
import { mismatchInput } from '../runner/inputs.js';
import { lastingFaults, lastingParams } from './lasting-faults.js';
import { raceWindow } from './race-window.js';
import type { RouteContacts } from './systematic.js';
import type { CallerActions, FaultBinding, Schedule } from '../core/schedule.js';

/** What random schedules are drawn from: the operations, the upstreams each talks to, the faults and their weights. */
export interface ScheduleSpace {
  operations: Array<{
    name: string;
    upstreams: readonly string[];
    /** Upstreams of several routes: the routes the clean run sent to; a fault there binds to one of them. */
    routes?: ReadonlyMap<string, readonly string[]>;
    canMismatch: boolean;
    canDryRun: boolean;
  }>;
  faults: Array<{ name: string; weight: number }>;
  /** Per upstream (or `upstream route`, see siteKey), the drawn faults that may last (an outage from the bound request on). */
  lasting: Record<string, string[]>;
  maxFaults: number;
  maxOrdinal: number;
  maxRetries: number;
  /** Whether a caller may replay after a success: the scenario's caller, unless explore widens it. */
  replays: boolean;
  concurrent: boolean;
  /** Whether the caller may send a request without its key (an http target that must refuse one). */
  missingKey: boolean;
  /** The key policies the caller may use: the scenario's own, unless it allows both. */
  keyPolicies: Array<'same' | 'fresh'>;
  faultParams: Scenario['faultParams'];
}

export function scheduleSpace(
  scenario: Scenario,
  contacts: ReadonlyMap<string, readonly string[]>,
  unsupportedFaults: ReadonlySet<string>,
  routeContacts: RouteContacts = new Map(),
): ScheduleSpace {
  const { weights, maxFaults, maxOrdinal } = scenario.explore;
  const faults = scenario.faults
    .filter((fault) => fault !== 'none' && !unsupportedFaults.has(fault))
    .map((name) => ({ name, weight: weights[name] ?? 1 }))
    .filter((fault) => fault.weight > 0);
  const upstreams = [...new Set(scenario.operations.flatMap((operation) => contacts.get(operation.name) ?? []))];
  const routesOf = (operation: string): Map<string, string[]> =>
    new Map([...(routeContacts.get(operation) ?? new Map<string, ReadonlyMap<string, number>>())].map(([upstream, routes]) => [upstream, [...routes.keys()]]));
  const sites: Array<{ upstream: string; route?: string }> = [
    ...upstreams.map((upstream) => ({ upstream })),
    ...scenario.operations.flatMap((operation) => [...routesOf(operation.name)].flatMap(([upstream, routes]) => routes.map((route) => ({ upstream, route })))),
  ];
  return {
    operations: scenario.operations
      .filter((operation) => operation.mutating && (contacts.get(operation.name)?.length ?? 0) > 0)
      .map((operation) => ({
        name: operation.name,
        upstreams: contacts.get(operation.name) ?? [],
        routes: routesOf(operation.name),
        canMismatch: scenario.probes.mismatch && mismatchInput(operation) !== undefined,
        canDryRun: scenario.probes.dryRun && operation.dryRun !== undefined,
      })),
    faults,
    lasting: Object.fromEntries(sites.map((site) => [siteKey(site), lastingFaults(scenario, site.upstream, faults.map((fault) => fault.name), site.route)])),
    maxFaults,
    maxOrdinal,
    // The scenario's caller bounds what exploration varies: a schedule it rules out would blame
    // the target for a caller it never has. The explore section may widen it explicitly.
    maxRetries: scenario.explore.maxRetries ?? scenario.caller.retries,
    replays: scenario.explore.replays ?? scenario.caller.replay,
    concurrent: scenario.probes.concurrent,
    // The systematic pass's missing-key probe, also combined with faults and drawn among the other probes.
    missingKey: scenario.probes.missingKey && scenario.target.kind === 'http' && scenario.target.requireKey,
    // A caller that makes a fresh key after an unknown outcome breaks any key-based API:
    // drawing it would blame the target for the caller's mistake, unless the scenario says callers do that.
    keyPolicies: scenario.explore.freshKeys ? ['same', 'fresh'] : [scenario.caller.key],
    faultParams: scenario.faultParams,
  };
}

/**
 * Random schedules as a fast-check arbitrary. Every part shrinks toward the
 * simplest case — fewer faults, earlier positions, fewer retries, the same key,
 * no replay, no pause, a plain sequence rather than a probe — so a failure
 * shrinks to the smallest schedule that still breaks the target.
 */
export function scheduleArbitrary(space: ScheduleSpace): fc.Arbitrary<Schedule> {
  if (space.operations.length === 0) {
    throw new RetryproofError('SCENARIO_INVALID', 'no mutating operation talked to an upstream in its clean run: nothing to explore', { field: 'operations' }, 'mark the operations that change something mutating: true, and point them at the upstreams ({{upstreams.NAME.url}})');
  }
  return fc.constantFrom(...space.operations).chain((operation) => {
    // On an upstream of several routes a fault lands on the n-th request to one route, as in the systematic pass.
    const upstream = fc.constantFrom(...operation.upstreams);
    const site: fc.Arbitrary<{ upstream: string; route?: string }> = operation.routes?.size
      ? upstream.chain((name) => {
          const routes = operation.routes?.get(name) ?? [];
          return routes.length === 0 ? fc.constant({ upstream: name }) : fc.constantFrom(...routes).map((route) => ({ upstream: name, route }));
        })
      : upstream.map((name) => ({ upstream: name }));
    const binding: fc.Arbitrary<FaultBinding> = fc
      .record({
        site,
        ordinal: fc.integer({ min: 1, max: space.maxOrdinal }),
        fault: space.faults.length > 0 ? fc.oneof(...space.faults.map((f) => ({ arbitrary: fc.constant(f.name), weight: f.weight }))) : fc.constant('none'),
        // One retryable fault in five, where it may last, is an outage: every request from this one on
        // (a bound on retries is judged only by an outage longer than the bound). Shrinks to a single request.
        lasts: fc.oneof({ arbitrary: fc.constant(false), weight: 4 }, { arbitrary: fc.constant(true), weight: 1 }),
      })
      .map(({ lasts, site: drawn, ...rest }) => {
        const b: FaultBinding = { ...drawn, ...rest };
        const lasting = lasts && (space.lasting[siteKey(b)] ?? []).includes(b.fault);
        const bound: FaultBinding = lasting ? { ...b, andAfter: true } : b;
        const params = lasting ? lastingParams(b.fault, space.faultParams[b.fault]) : space.faultParams[b.fault];
        return params ? { ...bound, params } : bound;
      });
    const faults = space.faults.length > 0
      ? fc.uniqueArray(binding, { maxLength: space.maxFaults, selector: (b) => `${siteKey(b)}#${b.ordinal}` })
      : fc.constant([] as FaultBinding[]);
    const modes: Array<'sequence' | 'concurrent' | 'mismatch' | 'dry-run' | 'missing-key'> = [
      'sequence',
      ...(space.concurrent ? (['concurrent'] as const) : []),
      ...(operation.canMismatch ? (['mismatch'] as const) : []),
      ...(operation.canDryRun ? (['dry-run'] as const) : []),
      ...(space.missingKey ? (['missing-key'] as const) : []),
    ];
    const caller: fc.Arbitrary<CallerActions> = fc
      .record({
        retries: fc.integer({ min: 0, max: space.maxRetries }),
        key: fc.constantFrom(...space.keyPolicies),
        replay: space.replays ? fc.boolean() : fc.constant(false),
        delayMs: fc.constantFrom(0, 20, 100),
        // withCrossShrink: a failure found under a probe is also tried as a plain sequence while shrinking.
        mode: fc.oneof({ withCrossShrink: true }, { arbitrary: fc.constant(modes[0]!), weight: 6 }, ...modes.slice(1).map((m) => ({ arbitrary: fc.constant(m), weight: 1 }))),
      })
      .map(({ mode, ...actions }) => ({
        ...actions,
        ...(mode === 'concurrent' ? { concurrent: 2 } : {}),
        ...(mode === 'mismatch' ? { mismatch: true } : {}),
        ...(mode === 'dry-run' ? { dryRun: true } : {}),
        ...(mode === 'missing-key' ? { omitKey: true } : {}),
      }));
    // Two racers get the systematic probe's race window (unless a drawn fault already binds that request),
    // so a check-then-act race is caught by the schedule, the same on every run, not by the machine's timing.
    const first = operation.upstreams[0];
    return fc.record({ operation: fc.constant(operation.name), faults, caller }).map((schedule) =>
      (schedule.caller.concurrent ?? 0) > 1 && first && !schedule.faults.some((b) => b.upstream === first && b.ordinal === 1)
        ? { ...schedule, faults: [...schedule.faults, raceWindow(first)] }
        : schedule,
    );
  });
}

/** Where a binding lands: `upstream`, or `upstream METHOD /path` on one route of an upstream of several routes. */
function siteKey(binding: { upstream: string; route?: string }): string {
  return binding.route === undefined ? binding.upstream : `${binding.upstream} ${binding.route}`;
}

/** How big a schedule is, for "shrunk to N faults". */
export function scheduleSize(schedule: Schedule): number {
  return schedule.faults.length;
}
