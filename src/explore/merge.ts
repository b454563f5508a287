import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RetryproofError } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import { writeJsonReport } from '../report/json.js';
import { writeReports } from '../report/write-reports.js';
import type { CheckTally } from '../core/result.js';
import { VERSION } from '../version.js';
import { CHECK_NAMES, type CheckName } from '../core/check-names.js';
import { judgeRun } from '../checks/verdict.js';
import { reproduceCommand, type ExploreFailure, type ExploreResult } from './explore.js';

/**
 * Combines the report folders of one explore split with --shard across CI
 * machines into one report: cases in the seed's order, the earliest failure's
 * minimal schedule, check tallies summed, ledgers merged into one file.
 */
export function mergeExploreReports(runDirs: readonly string[], outDir: string): ExploreResult {
  if (runDirs.length === 0) throw new RetryproofError('BAD_ARGUMENT', 'nothing to merge', {}, 'give the run folders of every shard');
  const reports = runDirs.map((dir) => readReport(dir));
  const [first] = reports;
  for (const [index, report] of reports.entries()) {
    const same = report.scenario.name === first!.scenario.name && report.explore.seed === first!.explore.seed && report.explore.runs === first!.explore.runs;
    if (!same) {
      throw new RetryproofError('BAD_ARGUMENT', `${runDirs[index]} is another exploration (scenario ${report.scenario.name}, seed ${report.explore.seed}, runs ${report.explore.runs})`, { file: runDirs[index] }, 'merge only the shards of one scenario, seed and --runs');
    }
  }
  const indexOf = (id: string): number => Number(/^explore\/(\d+)/.exec(id)?.[1] ?? -1);
  // Every shard ran the same reference cases (same ids, same keys): keep one of each.
  const seen = new Set<string>();
  const cases = reports
    .flatMap((report) => report.cases)
    .filter((item) => !seen.has(item.id) && seen.add(item.id))
    .sort((a, b) => indexOf(a.id) - indexOf(b.id) || a.id.localeCompare(b.id));
  const checks: Partial<Record<CheckName, CheckTally>> = {};
  for (const item of cases) {
    for (const result of item.checks) (checks[result.check] ??= { pass: 0, fail: 0, warn: 0, skip: 0 })[result.status] += 1;
  }
  // The distinct failures of all shards in the seed's order; a check found by two shards is reported once.
  const failures: ExploreFailure[] = [];
  for (const failure of reports.flatMap((report) => report.explore.failures ?? []).sort((a, b) => a.firstFailure.index - b.firstFailure.index)) {
    const checksLeft = failure.checks.filter((check) => !failures.some((kept) => kept.checks.includes(check)));
    if (checksLeft.length > 0) failures.push({ ...failure, checks: checksLeft, reproduce: reproduceCommand(path.resolve(outDir), failure.minimal.caseId) });
  }
  mkdirSync(outDir, { recursive: true });
  mergeLedgers(runDirs, path.join(outDir, 'ledger.sqlite'));
  const failedChecks = CHECK_NAMES.filter((name) => (checks[name]?.fail ?? 0) > 0);
  const contract = first!.contract;
  const verdicts = judgeRun({
    failedChecks,
    expectFail: first!.expectedFail,
    rule: contract.rule,
    claim: contract.gated && contract.rule === 'auto' ? contract.why.replace(/^auto: /, '') : null,
    conformance: { level: contract.level, reasons: contract.reasons },
  });
  const [firstFound] = failures;
  const merged: ExploreResult = {
    ...first!,
    runId: path.basename(outDir),
    runDir: path.resolve(outDir),
    complete: reports.every((report) => report.complete),
    cases,
    checks,
    failedChecks,
    verdict: verdicts.verdict,
    asExpected: verdicts.asExpected,
    unexpectedFailures: verdicts.unexpected,
    heldExpected: verdicts.heldExpected,
    safety: verdicts.safety,
    contract: verdicts.contract,
    durationMs: Math.max(...reports.map((report) => report.durationMs)),
    explore: {
      ...first!.explore,
      shard: null,
      planned: reports.reduce((n, report) => n + report.explore.planned, 0),
      executed: reports.reduce((n, report) => n + report.explore.executed, 0),
      casesPerSecond: Number(reports.reduce((n, report) => n + report.explore.casesPerSecond, 0).toFixed(2)),
      failures,
      firstFailure: firstFound?.firstFailure ?? null,
      minimal: firstFound?.minimal ?? null,
      reproduce: firstFound?.reproduce ?? null,
    },
  };
  writeJsonReport(merged, VERSION);
  writeReports(merged, merged.runDir);
  return merged;
}

function readReport(dir: string): ExploreResult {
  const file = path.join(dir, 'report.json');
  try {
    const report = JSON.parse(readFileSync(file, 'utf8')) as ExploreResult;
    if (!report.explore) throw new Error('not an explore report (merge combines the shards of `retryproof explore --shard`)');
    return report;
  } catch (error) {
    throw new RetryproofError('REPORT_UNREADABLE', `cannot read the report: ${(error as Error).message}`, { file }, 'give the run folders that `retryproof explore --shard I/N` wrote');
  }
}

function mergeLedgers(runDirs: readonly string[], target: string): void {
  const sources = runDirs.map((dir) => path.join(dir, 'ledger.sqlite')).filter((file) => existsSync(file));
  if (sources.length === 0) return;
  copyFileSync(sources[0]!, target);
  const ledger = new Ledger(target);
  try {
    for (const source of sources.slice(1)) ledger.absorb(source);
  } finally {
    ledger.close();
  }
}
