import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RetryproofError } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import { writeJsonReport } from '../report/json.js';
import { writeReports } from '../report/write-reports.js';
import type { CheckTally } from '../core/result.js';
import { VERSION } from '../version.js';
import type { ExploreResult } from './explore.js';

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
  const cases = reports.flatMap((report) => report.cases).sort((a, b) => indexOf(a.id) - indexOf(b.id) || a.id.localeCompare(b.id));
  const failing = reports.filter((report) => report.explore.firstFailure).sort((a, b) => a.explore.firstFailure!.index - b.explore.firstFailure!.index)[0];
  const checks: Record<string, CheckTally> = {};
  for (const report of reports) {
    for (const [name, tally] of Object.entries(report.checks)) {
      const sum = (checks[name] ??= { pass: 0, fail: 0, warn: 0, skip: 0 });
      for (const status of ['pass', 'fail', 'warn', 'skip'] as const) sum[status] += tally?.[status] ?? 0;
    }
  }
  mkdirSync(outDir, { recursive: true });
  mergeLedgers(runDirs, path.join(outDir, 'ledger.sqlite'));
  const failedChecks = [...new Set(reports.flatMap((report) => report.failedChecks))];
  const merged: ExploreResult = {
    ...first!,
    runId: path.basename(outDir),
    runDir: path.resolve(outDir),
    complete: reports.every((report) => report.complete),
    cases,
    checks,
    failedChecks,
    verdict: failedChecks.length > 0 ? 'fail' : 'pass',
    asExpected: failedChecks.join(',') === first!.expectedFail.join(','),
    durationMs: Math.max(...reports.map((report) => report.durationMs)),
    explore: {
      ...first!.explore,
      shard: null,
      planned: reports.reduce((n, report) => n + report.explore.planned, 0),
      executed: reports.reduce((n, report) => n + report.explore.executed, 0),
      casesPerSecond: Number(reports.reduce((n, report) => n + report.explore.casesPerSecond, 0).toFixed(2)),
      firstFailure: failing?.explore.firstFailure ?? null,
      minimal: failing?.explore.minimal ?? null,
      reproduce: failing?.explore.minimal ? `retryproof replay ${path.resolve(outDir)}/report.json --case ${failing.explore.minimal.caseId}` : null,
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
