import os from 'node:os';
import path from 'node:path';
import { isSafetyCheck, type CheckName } from './core/check-names.js';
import { exploreScenario, type ExploreResult } from './explore/explore.js';
import { loadScenario, parseScenario, type Scenario } from './scenario/load.js';
import type { ScenarioInput } from './scenario/schema.js';

export interface AssertRetrySafeOptions {
  /** Random schedules to try (default 50). */
  runs?: number;
  /** Default 1: the same seed gives the same schedules. */
  seed?: number;
  /** Only these checks count (default: every check the scenario runs). */
  checks?: CheckName[];
  concurrency?: number;
  /** Where run folders go (default: the system's temp folder). */
  reportsDir?: string;
  /** For a scenario given as an object: the folder its relative paths start from (default: the working directory). */
  baseDir?: string;
}

/** Thrown by assertRetrySafe: the message holds the minimal schedule and the command that reproduces it. */
export class RetrySafetyError extends Error {
  constructor(
    message: string,
    readonly result: ExploreResult,
  ) {
    super(message);
    this.name = 'RetrySafetyError';
  }
}

/**
 * A property test for your own suite: explores random fault and retry
 * schedules against a scenario and throws, with the shrunk schedule in the
 * message, when one breaks a check.
 *
 * @example
 * import { test } from 'vitest';
 * import { assertRetrySafe } from 'retryproof';
 *
 * test('create-order is retry-safe', async () => {
 *   await assertRetrySafe('scenarios/orders.yaml', { runs: 100, seed: 7 });
 * }, 120_000);
 */
export async function assertRetrySafe(scenario: string | ScenarioInput | Scenario, options: AssertRetrySafeOptions = {}): Promise<ExploreResult> {
  const loaded = toScenario(scenario, options.baseDir ?? process.cwd());
  const result = await exploreScenario(loaded, {
    runs: options.runs ?? 50,
    seed: options.seed ?? 1,
    checks: options.checks,
    concurrency: options.concurrency,
    reportsDir: options.reportsDir ?? path.join(os.tmpdir(), 'retryproof-reports'),
  });
  // Like the exit status: effects and retry behaviour always count, the contract where it gates.
  const gating = (check: CheckName): boolean => isSafetyCheck(check) || result.contract.gated;
  const failures = result.explore.failures.filter((failure) => failure.checks.some(gating));
  if (failures.length > 0) {
    const lines = [`${loaded.name} is not retry-safe (seed ${result.explore.seed}): ${failures.length} distinct failure${failures.length === 1 ? '' : 's'}.`];
    for (const failure of failures) {
      const { minimal, firstFailure } = failure;
      const broken = result.cases.find((item) => item.id === minimal.caseId)?.checks.filter((check) => check.status === 'fail') ?? [];
      lines.push(
        `${failure.checks.join(', ')} failed (first in random case ${firstFailure.index + 1}).`,
        minimal.reproduced
          ? `Minimal schedule (${minimal.scheduleSize} fault${minimal.scheduleSize === 1 ? '' : 's'}, after ${minimal.shrinks} shrinks): ${minimal.scheduleText}`
          : `Schedule (not shrunk: it did not fail again when run again, so it depends on timing): ${minimal.scheduleText}`,
        ...broken.map((check) => `  ${check.check}: ${check.message}`),
        `Schedule: ${JSON.stringify(minimal.schedule)}`,
        `Reproduce: ${failure.reproduce}`,
      );
    }
    throw new RetrySafetyError(lines.join('\n'), result);
  }
  return result;
}

function toScenario(scenario: string | ScenarioInput | Scenario, baseDir: string): Scenario {
  if (typeof scenario === 'string') return loadScenario(scenario);
  if ('dir' in scenario && 'cwd' in scenario && 'file' in scenario) return scenario as Scenario;
  // An object is validated like a file would be; messages name it "inline scenario".
  return parseScenario(JSON.stringify(scenario), path.join(baseDir, 'inline-scenario.json'));
}
