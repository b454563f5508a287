import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { runScenario, type RunOptions } from '../../src/runner/run-scenario.js';
import type { ScenarioResult } from '../../src/core/result.js';
import { loadScenario, type Scenario } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';

/** Absolute path of a file under test/fixtures/. */
export function fixture(...segments: string[]): string {
  return path.join(fileURLToPath(new URL('../fixtures/', import.meta.url)), ...segments);
}

export interface WrittenScenario {
  /** The temporary folder that holds the scenario file (and, when run, the reports). */
  dir: string;
  file: string;
  /** Removes the folder. */
  cleanup(): void;
}

/**
 * Writes a scenario (YAML text, or an object that is written as YAML) into a
 * fresh temporary folder as `<name>.yaml`. Relative paths in the scenario start
 * in that folder, so targets should be given by absolute path (see `fixture`).
 */
export function writeScenario(scenario: string | ScenarioInput | Record<string, unknown>, name = 'scenario'): WrittenScenario {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-test-'));
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, typeof scenario === 'string' ? scenario : YAML.stringify(scenario));
  return { dir, file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ScenarioRun {
  scenario: Scenario;
  result: ScenarioResult;
}

/**
 * Writes the scenario into a temporary folder, loads it and runs the systematic
 * pass with the reports in that folder, then removes the folder (set
 * RETRYPROOF_KEEP_TEST_DIRS=1 to keep it for a look at report.json and the ledger).
 */
export async function runScenarioFile(
  scenario: string | ScenarioInput | Record<string, unknown>,
  options: { name?: string } & Omit<RunOptions, 'reportsDir'> = {},
): Promise<ScenarioRun> {
  const { name, ...runOptions } = options;
  const written = writeScenario(scenario, name);
  try {
    const reportsDir = path.join(written.dir, 'reports');
    mkdirSync(reportsDir, { recursive: true });
    const loaded = loadScenario(written.file);
    const result = await runScenario(loaded, { ...runOptions, reportsDir });
    return { scenario: loaded, result };
  } finally {
    if (process.env.RETRYPROOF_KEEP_TEST_DIRS !== '1') written.cleanup();
  }
}
