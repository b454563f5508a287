import { inFile } from '../errors.js';
import path from 'node:path';
import { conformanceLevel } from '../checks/conformance.js';
import { judgeRun } from '../checks/verdict.js';
import { CHECK_NAMES, type CheckName } from '../core/check-names.js';
import { systematicCases, type PlannedCase, type RouteContacts } from '../explore/systematic.js';
import type { Scenario } from '../scenario/load.js';
import { writeJsonReport } from '../report/json.js';
import { writeReports } from '../report/write-reports.js';
import { VERSION } from '../version.js';
import type { BaselineResult, CaseResult, CheckTally, ScenarioResult } from '../core/result.js';
import { openRunSession, type RunSession } from './run-session.js';

export interface RunOptions {
  /** Folder that receives `<scenario>/<run-id>/` (default `reports`). */
  reportsDir?: string;
  /** Overrides the scenario's depth. */
  depth?: number;
  /** Cases run at once (default 1); results do not depend on it. */
  concurrency?: number;
  /** Called after each case, for progress output. */
  onCase?: (result: CaseResult) => void;
  /** Abort to interrupt: the report keeps what finished and is marked incomplete. */
  signal?: AbortSignal;
}

/**
 * The systematic pass over one scenario: a clean run of each operation (the
 * reference), then every listed fault at every request position and the fixed
 * probes, each judged by the checks. Writes `report.json` and `ledger.sqlite`
 * into the run folder.
 */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const session = await openRunSession(scenario, options);
  let cases: CaseResult[];
  let unreachable = 0;
  try {
    const planned = systematicCases(
      options.depth ? { ...scenario, depth: options.depth } : scenario,
      session.contacts,
      new Set(session.unsupportedFaults.keys()),
      session.routeContacts,
    );
    // The fault-free cases run first: a fault bound to a request position that the
    // fault-free case never reaches cannot be reached in a one-fault case either
    // (requests before it are unfaulted, so the deterministic target behaves the same).
    const faultFree = planned.filter((item) => item.schedule.faults.length === 0 && item.id.endsWith('/none'));
    const first = (await session.runCases(faultFree, 'systematic', { onCase: options.onCase })).filter((item) => item !== undefined);
    const reach = new Map(first.map((item) => [item.operation, item.requestsTo]));
    const rest = planned.filter((item) => !faultFree.includes(item) && reachable(item, reach, session.routeContacts));
    unreachable = planned.length - faultFree.length - rest.length;
    const others = (await session.runCases(rest, 'systematic', { onCase: options.onCase })).filter((item) => item !== undefined);
    const order = new Map(planned.map((item, index) => [item.id, index]));
    cases = [...first, ...others].sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  } catch (error) {
    await session.abort();
    throw inFile(error, scenario.file);
  }
  await session.finish();
  const result = summarise(scenario, session, cases);
  result.unreachableCases = unreachable;
  writeJsonReport(result, VERSION);
  writeReports(result, result.runDir);
  return result;
}

function reachable(planned: PlannedCase, reach: ReadonlyMap<string, Record<string, number>>, routes: RouteContacts): boolean {
  const counts = reach.get(planned.schedule.operation);
  const [binding, ...more] = planned.schedule.faults;
  if (!counts || !binding || more.length > 0 || binding.andAfter) return true;
  // A route of an upstream of several routes: as often as the clean run sent to it (the fault-free case is the same).
  if (binding.route) return binding.ordinal <= (routes.get(planned.schedule.operation)?.get(binding.upstream)?.get(binding.route) ?? Infinity);
  return binding.ordinal <= (counts[binding.upstream] ?? 0);
}

/** Tallies check results over the cases and gives the run's two verdicts (see judgeRun). */
export function summarise(
  scenario: Scenario,
  session: Pick<RunSession, 'runId' | 'runDir' | 'startedAt' | 'baselineResults' | 'unsupportedFaults' | 'interrupted'> & Partial<Pick<RunSession, 'settleOverlap'>>,
  cases: CaseResult[],
  /** The reference cases the contract level is graded on, when they are not among `cases` (replay). */
  reference: readonly CaseResult[] = cases,
): ScenarioResult {
  const checks: Partial<Record<CheckName, CheckTally>> = {};
  for (const name of CHECK_NAMES.filter((check) => scenario.checks.includes(check))) {
    checks[name] = { pass: 0, fail: 0, warn: 0, skip: 0 };
  }
  for (const result of cases) {
    for (const check of result.checks) checks[check.check]![check.status] += 1;
  }
  const failedChecks = CHECK_NAMES.filter((name) => (checks[name]?.fail ?? 0) > 0);
  const expectedFail = [...scenario.expect.fail].sort((a, b) => CHECK_NAMES.indexOf(a) - CHECK_NAMES.indexOf(b));
  const baselines: BaselineResult[] = session.baselineResults;
  const verdicts = judgeRun({
    failedChecks,
    expectFail: expectedFail,
    rule: scenario.contract,
    claim: contractClaim(scenario, baselines),
    conformance: conformanceLevel({ scenario, cases: reference }),
  });
  return {
    scenario: { name: scenario.name, file: scenario.file, path: path.resolve(scenario.file) },
    runId: session.runId,
    runDir: session.runDir,
    startedAt: session.startedAt.toISOString(),
    durationMs: Date.now() - session.startedAt.getTime(),
    complete: !session.interrupted(),
    unreachableCases: 0,
    baselines,
    cases,
    skippedFaults: [...session.unsupportedFaults]
      .filter(([fault]) => scenario.faults.includes(fault))
      .map(([fault, reason]) => ({ fault, reason })),
    checks,
    failedChecks,
    expectedFail,
    verdict: verdicts.verdict,
    asExpected: verdicts.asExpected,
    unexpectedFailures: verdicts.unexpected,
    heldExpected: verdicts.heldExpected,
    safety: verdicts.safety,
    contract: verdicts.contract,
    ...(session.settleOverlap && session.settleOverlap().lanes > 0 ? { settleOverlap: session.settleOverlap() } : {}),
  };
}

/**
 * Why a target claims the contract, from its clean run: it reported an
 * `effect` field, or (http) the scenario declares the draft's promises.
 * Null when it claims nothing: then `contract: auto` grades without gating.
 */
export function contractClaim(scenario: Pick<Scenario, 'target'>, baselines: readonly BaselineResult[]): string | null {
  const reporting = baselines.find((baseline) => baseline.reportedEffect !== null && baseline.reportedEffect !== undefined);
  if (reporting) return `the clean run of ${reporting.operation} reported "effect": "${reporting.reportedEffect}", so the target is held to the contract`;
  const target = scenario.target;
  if (target.kind === 'http' && (target.requireKey || target.replayedHeader)) {
    return `the scenario declares ${[target.requireKey ? 'requireKey' : '', target.replayedHeader ? 'replayedHeader' : ''].filter(Boolean).join(' and ')}, so the API is held to the Idempotency-Key draft`;
  }
  return null;
}
