/**
 * retryproof's programmatic API: what the `retryproof` command does, from
 * JavaScript or TypeScript (a test suite, a CI script, a release check), and
 * what a custom upstream's msw handlers call to record their commits.
 *
 * @example
 * import { loadScenario, runScenario } from 'retryproof';
 *
 * const result = await runScenario(loadScenario('retryproof/orders.yaml'), { reportsDir: 'reports' });
 * if (!result.asExpected) {
 *   console.error(`${result.scenario.name}: ${result.failedChecks.join(', ')} failed; see ${result.runDir}`);
 *   process.exitCode = 1;
 * }
 *
 * @module
 */
import { loadScenario as load, parseScenario as parse } from './scenario/load.js';
import { runScenario as run } from './runner/run-scenario.js';

/**
 * Reads, parses and validates a scenario file (YAML, or JSON by its `.json`
 * extension), fills in the defaults and resolves its paths. Relative paths in
 * the scenario start in the file's folder.
 *
 * Throws `RetryproofError` on bad input (exit status 2 in the CLI): its
 * `describe()` names the file, the field and the fix.
 *
 * @example
 * import { loadScenario, RetryproofError } from 'retryproof';
 *
 * try {
 *   const scenario = loadScenario('scenarios/orders.yaml');
 * } catch (error) {
 *   if (error instanceof RetryproofError) console.error(error.describe());
 *   else throw error;
 * }
 */
export const loadScenario: typeof load = load;

/**
 * Parses and validates scenario text, as `loadScenario` does for a file. `file`
 * names the scenario in messages and anchors relative paths (its folder), and
 * its extension picks the syntax (`.json`, else YAML).
 *
 * @example
 * import { parseScenario } from 'retryproof';
 *
 * const scenario = parseScenario(yamlText, path.join(repoRoot, 'scenarios', 'orders.yaml'));
 */
export const parseScenario: typeof parse = parse;

/**
 * The systematic pass over one scenario (what `retryproof run` does): a clean
 * run of each operation as the reference, then every listed fault at every
 * upstream request position up to the depth, and the fixed probes, each case
 * judged by the checks. Writes `report.json` and `ledger.sqlite` into
 * `<reportsDir>/<scenario>/<run-id>/` and resolves to the result; a failed
 * check is data (`verdict: 'fail'`), never a rejection. Rejects with
 * `RetryproofError` for bad configuration (a target that cannot start, a
 * clean run that fails, a custom upstream module without handlers).
 *
 * @example
 * import { loadScenario, runScenario } from 'retryproof';
 *
 * const result = await runScenario(loadScenario('scenarios/orders.yaml'), { reportsDir: 'reports', concurrency: 2 });
 * for (const item of result.cases.filter((c) => c.verdict === 'fail')) {
 *   console.log(item.id, item.scheduleText, item.checks.filter((c) => c.status === 'fail').map((c) => c.message));
 * }
 */
export const runScenario: typeof run = run;

export type { Scenario } from './scenario/load.js';
export type { ScenarioInput } from './scenario/schema.js';
export type { RunOptions } from './runner/run-scenario.js';
export type { ScenarioResult, CaseResult, BaselineResult, CheckTally } from './core/result.js';
export type { CheckResult, Evidence } from './checks/check.js';
export { RetryproofError, isRetryproofError, type ErrorCode, type ErrorWhere } from './errors.js';

/** The fault catalog: each fault's name, whether the upstream commits, and what the client sees. */
export { FAULTS, FAULT_NAMES } from './faults/registry.js';
export type { ErrorBody, Fault, FaultParams } from './faults/fault.js';
/** The checks by name: each evaluates one invariant on a case's ledger rows. */
export { CHECKS } from './checks/registry.js';
export type { Check } from './checks/check.js';
export { CHECK_NAMES, type CheckName } from './core/check-names.js';

// For upstream handlers (a custom upstream's module, or msw handlers of your own).
export {
  recordEffect,
  recordReplay,
  recordRejection,
  recordUnchanged,
  type EffectInput,
  type UpstreamApi,
} from './upstream/context.js';
export type { HandlersFactory } from './upstream/models/custom.js';
// msw's handler API, so a custom upstream's module needs only retryproof: `import { http, HttpResponse } from 'retryproof'`.
export { http, HttpResponse, delay, passthrough } from 'msw';

// Exploration, replay and the test-suite helper.
export { exploreScenario, type ExploreOptions, type ExploreResult, type ExploreSummary } from './explore/explore.js';
export { replayCase, type ReplayOptions, type ReplayResult } from './explore/replay.js';
export type { Schedule, FaultBinding, CallerActions } from './core/schedule.js';
export { assertRetrySafe, RetrySafetyError, type AssertRetrySafeOptions } from './testing.js';
