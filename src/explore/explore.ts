import { inFile } from '../errors.js';
import fc from 'fast-check';
import type { CheckName } from '../core/check-names.js';
import type { Scenario } from '../scenario/load.js';
import { writeJsonReport } from '../report/json.js';
import { writeReports } from '../report/write-reports.js';
import type { CaseResult, ScenarioResult } from '../core/result.js';
import { summarise } from '../runner/run-scenario.js';
import { Interrupted } from '../runner/interrupted.js';
import { openRunSession, type RunSession } from '../runner/run-session.js';
import { isReferenceCase } from '../checks/conformance.js';
import { systematicCases } from './systematic.js';
import { VERSION } from '../version.js';
import { scheduleArbitrary, scheduleSpace, scheduleSize } from './arbitrary.js';
import { describeSchedule } from './describe.js';
import type { Schedule } from '../core/schedule.js';
import { replayCommand } from '../report/command-line.js';

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
  /** Stop drawing new cases once this many distinct failing checks are found (default: run them all). */
  maxFailures?: number;
  /** Stop shrinking one failure after this long and report the smallest failure found so far. */
  shrinkBudgetMs?: number;
  onProgress?: (progress: { done: number; total: number; failures: number }) => void;
  /** Abort to interrupt: the report keeps what finished and is marked incomplete. */
  signal?: AbortSignal;
}

/** One distinct failure: the first case that broke a check, shrunk to the smallest schedule that still breaks it. */
export interface ExploreFailure {
  /** The check this failure was shrunk for, first; then the other checks its minimal case also breaks. */
  checks: CheckName[];
  firstFailure: { index: number; caseId: string; scheduleSize: number };
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
  };
  /** The one command that reproduces the minimal failure. */
  reproduce: string;
}

export interface ExploreSummary {
  seed: number;
  runs: number;
  shard: Shard | null;
  /** Indexes (0-based, of the seed's sequence) this run was given. */
  planned: number;
  /** Random cases run (all of them, unless maxFailures stopped the run early). */
  executed: number;
  casesPerSecond: number;
  /** Every distinct failure, in the order found (the seed's order). */
  failures: ExploreFailure[];
  /** The first of `failures` (kept for readers of earlier reports). */
  firstFailure: ExploreFailure['firstFailure'] | null;
  minimal: ExploreFailure['minimal'] | null;
  reproduce: string | null;
}

export interface ExploreResult extends ScenarioResult {
  explore: ExploreSummary;
}

/**
 * Property-based exploration: random schedules drawn from the seed, each case
 * against fresh upstream state, after the fault-free reference cases that the
 * contract level is graded on. Every distinct failing check (in the seed's
 * order, so the concurrency does not change it) is shrunk by fast-check to the
 * smallest schedule that still breaks it; a check that an earlier minimal case
 * with no fault already breaks is reported with that one.
 */
export async function exploreScenario(scenario: Scenario, options: ExploreOptions): Promise<ExploreResult> {
  const session = await openRunSession(scenario, { reportsDir: options.reportsDir, concurrency: options.concurrency, signal: options.signal });
  const cases: CaseResult[] = [];
  let summary: ExploreSummary;
  try {
    const unsupported = new Set(session.unsupportedFaults.keys());
    cases.push(...(await runReferenceCases(session, scenario, unsupported)));
    const arbitrary = scheduleArbitrary(scheduleSpace(scenario, session.contacts, unsupported, session.routeContacts));
    const all = fc.sample(arbitrary, { seed: options.seed, numRuns: options.runs });
    const indexes = all.map((_, index) => index).filter((index) => !options.shard || index % options.shard.count === options.shard.index - 1);
    // Case ids count from 1, as the progress line and the summary do ("random case 4 of 200").
    const planned = indexes.map((index) => ({ id: `explore/${index + 1}`, schedule: all[index]! }));
    let done = 0;
    const found = new Set<CheckName>();
    const started = performance.now();
    const results = await session.runCases(planned, 'explore', {
      stopWhen: (result) => stopsExploration(result, found, options),
      onCase: (result) => {
        done += 1;
        for (const check of broken(result, options.checks)) found.add(check);
        options.onProgress?.({ done, total: planned.length, failures: found.size });
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const ran = results.filter((result): result is CaseResult => result !== undefined);
    cases.push(...ran);
    summary = {
      seed: options.seed,
      runs: options.runs,
      shard: options.shard ?? null,
      planned: planned.length,
      executed: ran.length,
      casesPerSecond: Number((done / Math.max(seconds, 0.001)).toFixed(2)),
      failures: [],
      firstFailure: null,
      minimal: null,
      reproduce: null,
    };
    // The distinct failing checks in the order the seed found them (limited by maxFailures).
    const firsts: Array<{ check: CheckName; at: number }> = [];
    ran.forEach((result, at) => {
      for (const check of broken(result, options.checks)) if (!firsts.some((first) => first.check === check)) firsts.push({ check, at });
    });
    for (const { check, at } of firsts.slice(0, options.maxFailures ?? firsts.length)) {
      if (options.signal?.aborted) break;
      // One counterexample per distinct check; a check an earlier minimal case with no fault at all also
      // breaks is reported with it (nothing is smaller), any other is shrunk on its own.
      const earlier = summary.failures.find((failure) => failure.minimal.failedChecks.includes(check) && failure.minimal.reproduced && failure.minimal.scheduleSize === 0);
      if (earlier) {
        earlier.checks.push(check);
        continue;
      }
      const first = ran[at]!;
      const index = indexes[at]!;
      const shrunk = await shrink(arbitrary, options, index, (result) => result.checks.some((item) => item.check === check && item.status === 'fail'), async (schedule, step) => {
        const result = await session.runOne({ id: `explore/${index + 1}/${check}/shrink-${step}`, schedule }, 'explore');
        cases.push(result);
        return result;
      });
      // A failure that does not come back is still a failure: report it as found, unshrunk, and say so.
      const minimal = shrunk ?? { ...minimalOf(first, first.schedule, String(index), 0), reproduced: false };
      summary.failures.push({
        checks: [check],
        firstFailure: { index, caseId: first.id, scheduleSize: scheduleSize(first.schedule) },
        minimal,
        reproduce: reproduceCommand(session.runDir, minimal.caseId),
      });
    }
    const [firstFound] = summary.failures;
    if (firstFound) Object.assign(summary, { firstFailure: firstFound.firstFailure, minimal: firstFound.minimal, reproduce: firstFound.reproduce });
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

/**
 * The fault-free reference cases (the clean case and the fixed probes) that
 * the contract level is graded on: the same ones `run` has, so every command
 * gives one scenario the same level.
 */
export async function runReferenceCases(
  session: Pick<RunSession, 'contacts' | 'runCases'>,
  scenario: Scenario,
  unsupported: ReadonlySet<string>,
  /** Cases already run (a replayed reference case is not run twice under one id). */
  skip: ReadonlySet<string> = new Set(),
): Promise<CaseResult[]> {
  const reference = systematicCases(scenario, session.contacts, unsupported).filter((item) => isReferenceCase(item.id) && !skip.has(item.id));
  return (await session.runCases(reference, 'systematic')).filter((item): item is CaseResult => item !== undefined);
}

export function reproduceCommand(runDir: string, caseId: string): string {
  return replayCommand(runDir, caseId);
}

/**
 * Whether exploration may stop drawing after this case (with maxFailures):
 * only a case that breaks a check looked for stops it, once maxFailures
 * distinct checks are broken. The pool keeps every case up to the one that
 * stopped it; a case that broke nothing, finished by one lane after the
 * other lane's later case had found the failure, used to stop it there and
 * drop that failure with everything after it (bug zoo 26's buggy target
 * was found at explore/22 and reported as never found).
 */
export function stopsExploration(result: CaseResult, found: ReadonlySet<CheckName>, options: Pick<ExploreOptions, 'checks' | 'maxFailures'>): boolean {
  return options.maxFailures !== undefined && found.size >= options.maxFailures && broken(result, options.checks).length > 0;
}

/** The checks being looked for that this case breaks. */
function broken(result: CaseResult, checks: readonly CheckName[] | undefined): CheckName[] {
  return result.checks.filter((check) => check.status === 'fail' && (!checks || checks.includes(check.check))).map((check) => check.check);
}

/** Lets fast-check shrink the failure at `index`; every step is a real case. */
async function shrink(
  arbitrary: fc.Arbitrary<Schedule>,
  options: ExploreOptions,
  index: number,
  isFailure: (result: CaseResult) => boolean,
  runCase: (schedule: Schedule, step: number) => Promise<CaseResult>,
): Promise<ExploreFailure['minimal'] | undefined> {
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

function minimalOf(result: CaseResult, schedule: Schedule, path: string, shrinks: number): Omit<ExploreFailure['minimal'], 'reproduced'> {
  return {
    caseId: result.id,
    schedule,
    // The case's own words when it ran this schedule (they know the scenario's database services: "COMMIT #1 to db").
    scheduleText: JSON.stringify(schedule) === JSON.stringify(result.schedule) ? result.scheduleText : describeSchedule(schedule),
    scheduleSize: scheduleSize(schedule),
    failedChecks: result.checks.filter((check) => check.status === 'fail').map((check) => check.check),
    path,
    shrinks,
  };
}
