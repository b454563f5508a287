import { inFile } from '../errors.js';
import fc from 'fast-check';
import type { CheckName } from '../core/check-names.js';
import type { Scenario } from '../scenario/load.js';
import { writeJsonReport } from '../report/json.js';
import { writeReports } from '../report/write-reports.js';
import type { CaseResult, ScenarioResult } from '../core/result.js';
import { summarise } from '../runner/run-scenario.js';
import { Interrupted } from '../runner/interrupted.js';
import { openRunSession } from '../runner/run-session.js';
import { VERSION } from '../version.js';
import { scheduleArbitrary, scheduleSpace, scheduleSize } from './arbitrary.js';
import { describeSchedule } from './describe.js';
import type { Schedule } from '../core/schedule.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export interface ExploreOptions {
  runs: number;
  seed: number;
  concurrency?: number;
  shard?: Shard;
  reportsDir?: string;
  /** Only these checks count as a failure to find and shrink (default: every check the scenario runs). */
  checks?: readonly CheckName[];
  /** Stop shrinking after this long and report the smallest failure found so far. */
  shrinkBudgetMs?: number;
  onProgress?: (progress: { done: number; total: number; failures: number }) => void;
  /** Abort to interrupt: the report keeps what finished and is marked incomplete. */
  signal?: AbortSignal;
}

export interface ExploreSummary {
  seed: number;
  runs: number;
  shard: Shard | null;
  /** Indexes (0-based, of the seed's sequence) this run was given. */
  planned: number;
  /** Random cases run before the first failure (or all of them). */
  executed: number;
  casesPerSecond: number;
  firstFailure: { index: number; caseId: string; scheduleSize: number } | null;
  minimal: {
    caseId: string;
    schedule: Schedule;
    scheduleText: string;
    scheduleSize: number;
    failedChecks: CheckName[];
    /** fast-check's path of the counterexample: with the seed, it replays the shrunk case. */
    path: string;
    shrinks: number;
    /**
     * False when the first failure did not fail again when its schedule was
     * run again: it depends on timing (a race, a load-dependent timeout).
     * Then `minimal` is that first failure, unshrunk; its ledger is the evidence.
     */
    reproduced: boolean;
  } | null;
  /** The one command that reproduces the minimal failure. */
  reproduce: string | null;
}

export interface ExploreResult extends ScenarioResult {
  explore: ExploreSummary;
}

/**
 * Property-based exploration: random schedules drawn from the seed, each case
 * against fresh upstream state; the first failure (in the seed's order, so the
 * concurrency does not change it) is shrunk by fast-check to the smallest
 * schedule that still fails.
 */
export async function exploreScenario(scenario: Scenario, options: ExploreOptions): Promise<ExploreResult> {
  const session = await openRunSession(scenario, { reportsDir: options.reportsDir, concurrency: options.concurrency, signal: options.signal });
  const cases: CaseResult[] = [];
  let summary: ExploreSummary;
  try {
    const arbitrary = scheduleArbitrary(scheduleSpace(scenario, session.contacts, new Set(session.unsupportedFaults.keys())));
    const all = fc.sample(arbitrary, { seed: options.seed, numRuns: options.runs });
    const indexes = all.map((_, index) => index).filter((index) => !options.shard || index % options.shard.count === options.shard.index - 1);
    const planned = indexes.map((index) => ({ id: `explore/${index}`, schedule: all[index]! }));
    let done = 0;
    let failures = 0;
    const started = performance.now();
    const results = await session.runCases(planned, 'explore', {
      stopWhen: (result) => breaks(result, options.checks),
      onCase: (result) => {
        done += 1;
        if (breaks(result, options.checks)) failures += 1;
        options.onProgress?.({ done, total: planned.length, failures });
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const ran = results.filter((result): result is CaseResult => result !== undefined);
    cases.push(...ran);
    const failedAt = ran.findIndex((result) => breaks(result, options.checks));
    summary = {
      seed: options.seed,
      runs: options.runs,
      shard: options.shard ?? null,
      planned: planned.length,
      executed: ran.length,
      casesPerSecond: Number((done / Math.max(seconds, 0.001)).toFixed(2)),
      firstFailure: null,
      minimal: null,
      reproduce: null,
    };
    if (failedAt >= 0 && !options.signal?.aborted) {
      const first = ran[failedAt]!;
      const index = indexes[failedAt]!;
      summary.firstFailure = { index, caseId: first.id, scheduleSize: scheduleSize(first.schedule) };
      const shrunk = await shrink(arbitrary, options, index, (result) => breaks(result, options.checks), async (schedule, step) => {
        const result = await session.runOne({ id: `explore/${index}/shrink-${step}`, schedule }, 'explore');
        cases.push(result);
        return result;
      });
      // A failure that does not come back is still a failure: report it as found, unshrunk, and say so.
      summary.minimal = shrunk ?? { ...minimalOf(first, first.schedule, String(index), 0), reproduced: false };
      summary.reproduce = `retryproof replay ${session.runDir}/report.json --case ${summary.minimal.caseId}`;
    }
  } catch (error) {
    await session.abort();
    throw inFile(error, scenario.file);
  }
  await session.finish();
  const result: ExploreResult = { ...summarise(scenario, session, cases), explore: summary };
  writeJsonReport(result, VERSION);
  writeReports(result, result.runDir);
  return result;
}

/** Does this case break one of the checks being looked for? */
function breaks(result: CaseResult, checks: readonly CheckName[] | undefined): boolean {
  return result.checks.some((check) => check.status === 'fail' && (!checks || checks.includes(check.check)));
}

/** Lets fast-check shrink the failure at `index`; every step is a real case. */
async function shrink(
  arbitrary: fc.Arbitrary<Schedule>,
  options: ExploreOptions,
  index: number,
  isFailure: (result: CaseResult) => boolean,
  runCase: (schedule: Schedule, step: number) => Promise<CaseResult>,
): Promise<NonNullable<ExploreSummary['minimal']> | undefined> {
  let step = 0;
  let smallest: CaseResult | undefined;
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (schedule) => {
      // Interrupted: let every remaining candidate pass, so fast-check ends with the smallest failure so far.
      if (options.signal?.aborted) return true;
      let result: CaseResult;
      try {
        result = await runCase(schedule, step);
      } catch (error) {
        if (error instanceof Interrupted) return true;
        throw error;
      }
      step += 1;
      if (isFailure(result)) smallest = result;
      return !isFailure(result);
    }),
    {
      seed: options.seed,
      numRuns: options.runs,
      path: String(index),
      interruptAfterTimeLimit: options.shrinkBudgetMs ?? 120_000,
      markInterruptAsFailure: false,
    },
  );
  if (!smallest) return undefined; // the failure did not come back when its schedule ran again
  const schedule = (details.counterexample?.[0] as Schedule | undefined) ?? smallest.schedule;
  return { ...minimalOf(smallest, schedule, details.counterexamplePath ?? String(index), details.numShrinks), reproduced: true };
}

function minimalOf(result: CaseResult, schedule: Schedule, path: string, shrinks: number): Omit<NonNullable<ExploreSummary['minimal']>, 'reproduced'> {
  return {
    caseId: result.id,
    schedule,
    scheduleText: describeSchedule(schedule),
    scheduleSize: scheduleSize(schedule),
    failedChecks: result.checks.filter((check) => check.status === 'fail').map((check) => check.check),
    path,
    shrinks,
  };
}
