import path from 'node:path';
import type { ScenarioResult } from '../core/result.js';
import { writeFileAtomic } from './atomic-write.js';

/** Bumped whenever report.json changes shape in a way readers must know about (2: the two verdicts, split checks, explore's failures). */
export const REPORT_SCHEMA_VERSION = 2;

/**
 * The part of a report that must be byte-identical for the same scenario and
 * seed: every case's schedule and verdicts, without timings, run ids or paths.
 */
export function verdictSection(result: ScenarioResult): unknown {
  return {
    scenario: result.scenario.name,
    complete: result.complete,
    safeToRetry: result.safety?.safe,
    contract: result.contract && { level: result.contract.level, gated: result.contract.gated, failedChecks: result.contract.failedChecks },
    failedChecks: result.failedChecks,
    cases: result.cases.map((item) => ({
      id: item.id,
      schedule: item.schedule,
      outcome: item.outcomeText,
      verdict: item.verdict,
      checks: item.checks.map(({ check, status, message }) => ({ check, status, message })),
    })),
  };
}

export function reportJson(result: ScenarioResult, toolVersion: string): string {
  const report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'retryproof', version: toolVersion },
    ...result,
    verdicts: verdictSection(result),
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function writeJsonReport(result: ScenarioResult, toolVersion: string): string {
  const file = path.join(result.runDir, 'report.json');
  writeFileAtomic(file, reportJson(result, toolVersion));
  return file;
}
