import { mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { countByRoute, type Baseline } from '../checks/check.js';
import { CHECK_NAMES, type CheckName } from '../checks/names.js';
import { invocationOutcome } from '../checks/outcome.js';
import { systematicCases } from '../explore/systematic.js';
import { RetryproofError } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import type { CaseRows } from '../ledger/rows.js';
import type { Scenario } from '../scenario/load.js';
import { writeJsonReport } from '../report/json.js';
import { VERSION } from '../version.js';
import { executeCase, runCase, type CaseEnvironment } from './run-case.js';
import type { BaselineResult, CaseResult, CheckTally, ScenarioResult } from './result.js';
import { startTargetSession, type TargetSession } from './target-session.js';
import { startUpstreams } from './upstreams.js';

export interface RunOptions {
  /** Folder that receives `<scenario>/<run-id>/` (default `reports`). */
  reportsDir?: string;
  /** Overrides the scenario's depth. */
  depth?: number;
  /** Called after each case, for progress output. */
  onCase?: (result: CaseResult) => void;
}

/**
 * The systematic pass over one scenario: a clean run of each operation (the
 * reference), then every listed fault at every request position, each judged by
 * the checks. Writes `report.json` and `ledger.sqlite` into the run folder.
 */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  const runDir = path.resolve(options.reportsDir ?? 'reports', scenario.name, runId);
  mkdirSync(runDir, { recursive: true });
  const partialLedger = path.join(runDir, '.ledger.sqlite.partial');
  const ledger = new Ledger(partialLedger);
  ledger.setMeta('scenario', scenario.name);
  ledger.setMeta('runId', runId);
  ledger.setMeta('retryproofVersion', VERSION);
  const depthScenario = options.depth ? { ...scenario, depth: options.depth } : scenario;

  let upstreams;
  let target: TargetSession | undefined;
  const cases: CaseResult[] = [];
  const baselineResults: BaselineResult[] = [];
  try {
    upstreams = await startUpstreams(scenario);
    target = await startTargetSession(scenario, upstreams);
    const env: CaseEnvironment = { scenario, upstreams, target, ledger };
    const baselines = new Map<string, Baseline>();
    const contacts = new Map<string, string[]>();
    for (const operation of scenario.operations) {
      const started = performance.now();
      const id = `${operation.name}/baseline`;
      const schedule = { operation: operation.name, faults: [], caller: { retries: 0, key: 'same' as const, replay: false, delayMs: 0 } };
      const rows = await executeCase(env, id, 'baseline', schedule);
      ledger.recordCase({ id, operation: operation.name, kind: 'baseline', scheduleJson: JSON.stringify(schedule) }, rows, () => []);
      assertBaselineSucceeded(scenario, operation.name, rows);
      baselines.set(operation.name, { operation: operation.name, effects: rows.effects, routeCounts: countByRoute(rows.effects) });
      const upstreamOrder = [...new Set(rows.requests.map((request) => request.upstream))];
      contacts.set(operation.name, upstreamOrder);
      baselineResults.push({
        operation: operation.name,
        effects: Object.fromEntries(countByRoute(rows.effects)),
        upstreams: upstreamOrder,
        requests: rows.requests.length,
        durationMs: Math.round(performance.now() - started),
      });
    }
    for (const planned of systematicCases(depthScenario, contacts, new Set(target.unsupportedFaults.keys()))) {
      const result = await runCase(env, planned.id, 'systematic', planned.schedule, baselines.get(planned.schedule.operation)!);
      cases.push(result);
      options.onCase?.(result);
    }
  } catch (error) {
    await target?.close();
    await upstreams?.close();
    ledger.close();
    // Nothing half-written stays behind.
    rmSync(runDir, { recursive: true, force: true });
    throw error;
  }
  await target!.close();
  await upstreams.close();
  ledger.close();
  renameSync(partialLedger, path.join(runDir, 'ledger.sqlite'));

  const result = summarise(scenario, runId, runDir, startedAt, baselineResults, cases);
  result.skippedFaults = [...target!.unsupportedFaults].filter(([fault]) => scenario.faults.includes(fault)).map(([fault, reason]) => ({ fault, reason }));
  writeJsonReport(result, VERSION);
  return result;
}

function assertBaselineSucceeded(scenario: Scenario, operation: string, rows: CaseRows): void {
  const invocation = rows.invocations[0];
  if (invocation && invocationOutcome(invocation, scenario.exitCodes) === 'success') return;
  const how = !invocation
    ? 'never ran'
    : invocation.killed
      ? `was killed (${invocation.killReason}) after ${invocation.durationMs} ms`
      : `exited ${invocation.exitCode ?? invocation.signal}${invocation.effect ? ` with effect "${invocation.effect}"` : ''}`;
  const stderr = invocation?.stderr.trim().split('\n').slice(-3).join(' | ');
  const index = scenario.operations.findIndex((op) => op.name === operation);
  throw new RetryproofError(
    'BASELINE_FAILED',
    `the clean run of operation "${operation}" (no faults) did not succeed: it ${how}${stderr ? `; stderr: ${stderr}` : ''}`,
    { file: scenario.file, field: `operations[${index}]` },
    'a clean run is the reference for every faulted case: make the operation succeed against healthy upstreams (check argv, env and exitCodes.success)',
  );
}

function summarise(
  scenario: Scenario,
  runId: string,
  runDir: string,
  startedAt: Date,
  baselines: BaselineResult[],
  cases: CaseResult[],
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
  return {
    scenario: { name: scenario.name, file: scenario.file },
    runId,
    runDir,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    complete: true,
    baselines,
    cases,
    skippedFaults: [],
    checks,
    failedChecks,
    expectedFail,
    verdict: failedChecks.length > 0 ? 'fail' : 'pass',
    asExpected: failedChecks.join(',') === expectedFail.join(','),
  };
}
