import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { RetryproofError } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import type { CaseRows } from '../ledger/rows.js';
import type { ScenarioResult } from '../core/result.js';
import { writeFileAtomic } from './atomic-write.js';
import { renderHtmlReport } from './html.js';
import { REPORT_SCHEMA_VERSION } from './json.js';
import { renderJunit } from './junit.js';

export const LEDGER_FILE = 'ledger.sqlite';

export interface WrittenReports {
  junit: string;
  html: string;
}

const NO_ROWS: CaseRows = { invocations: [], requests: [], effects: [] };

/**
 * Writes junit.xml and report.html of a run into `runDir`, each atomically.
 * The pages are built from the result as report.json holds it and from the
 * run's ledger.sqlite, and from nothing else (no clock, no environment), so
 * `retryproof report RUN_DIR` renders the same bytes again.
 *
 * @example
 * writeJsonReport(result, VERSION);
 * writeReports(result, result.runDir);
 */
export function writeReports(result: ScenarioResult, runDir: string): WrittenReports {
  // The same data report.json holds (undefined fields dropped), whether it comes from memory or the file.
  const data = JSON.parse(JSON.stringify(result)) as ScenarioResult;
  const ledgerFile = path.join(runDir, LEDGER_FILE);
  const ledger = existsSync(ledgerFile) ? new Ledger(ledgerFile, { readonly: true }) : undefined;
  let page: string;
  try {
    page = renderHtmlReport(data, (caseId) => ledger?.readCase(caseId) ?? NO_ROWS);
  } finally {
    ledger?.close();
  }
  const written = { junit: path.join(runDir, 'junit.xml'), html: path.join(runDir, 'report.html') };
  writeFileAtomic(written.junit, renderJunit(data));
  writeFileAtomic(written.html, page);
  return written;
}

/** A run folder, read back: its result as report.json holds it, and where its ledger is. */
export interface RunFolder {
  dir: string;
  reportFile: string;
  ledgerFile: string;
  result: ScenarioResult;
}

/**
 * Reads a run folder (or its report.json) that `run`, `explore` or `replay`
 * wrote. Throws RetryproofError REPORT_UNREADABLE, naming the file, what is
 * wrong and the fix, when the folder, report.json or ledger.sqlite is missing
 * or broken.
 */
export function readRunFolder(given: string): RunFolder {
  const fix = 'give a run folder that `retryproof run`, `explore` or `replay` wrote: reports/<scenario>/<run-id>';
  if (!existsSync(given)) throw new RetryproofError('REPORT_UNREADABLE', 'no such run folder', { file: given }, fix);
  const dir = statSync(given).isDirectory() ? given : path.dirname(given);
  const reportFile = path.join(dir, 'report.json');
  const ledgerFile = path.join(dir, LEDGER_FILE);
  if (!existsSync(reportFile)) {
    throw new RetryproofError('REPORT_UNREADABLE', 'the run folder has no report.json (an interrupted run, or not a run folder)', { file: reportFile }, fix);
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(readFileSync(reportFile, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new RetryproofError('REPORT_UNREADABLE', `report.json is not valid JSON (${(error as Error).message})`, { file: reportFile }, `run the scenario again to write a new one`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RetryproofError('REPORT_UNREADABLE', 'report.json does not hold a report object', { file: reportFile }, fix);
  }
  const { schemaVersion, tool: _tool, ...result } = parsed;
  // Version 1 lacks the two verdicts; its pages render without them.
  if (schemaVersion !== REPORT_SCHEMA_VERSION && schemaVersion !== 1) {
    throw new RetryproofError(
      'REPORT_UNREADABLE',
      `report.json has schemaVersion ${JSON.stringify(schemaVersion)}; this retryproof reads versions 1 and ${REPORT_SCHEMA_VERSION}`,
      { file: reportFile, field: 'schemaVersion' },
      'render it with the retryproof version that wrote it, or run the scenario again',
    );
  }
  const missing = missingField(result);
  if (missing) {
    throw new RetryproofError('REPORT_UNREADABLE', `report.json is not a complete retryproof report: ${missing}`, { file: reportFile, field: missing.split(' ')[0] }, 'run the scenario again to write a new one');
  }
  if (!existsSync(ledgerFile)) {
    throw new RetryproofError('REPORT_UNREADABLE', 'the run folder has no ledger.sqlite (an interrupted run leaves only .ledger.sqlite.partial)', { file: ledgerFile }, 'run the scenario again: the timelines are read from the ledger');
  }
  try {
    new Ledger(ledgerFile, { readonly: true }).close();
  } catch (error) {
    throw new RetryproofError('REPORT_UNREADABLE', `ledger.sqlite cannot be read as a retryproof ledger (${(error as Error).message})`, { file: ledgerFile }, 'run the scenario again to write a new one', { cause: error });
  }
  return { dir, reportFile, ledgerFile, result: result as unknown as ScenarioResult };
}

function missingField(result: Record<string, unknown>): string | undefined {
  const scenario = result.scenario as Record<string, unknown> | undefined;
  if (!scenario || typeof scenario.name !== 'string' || typeof scenario.file !== 'string') return 'scenario (name, file) missing';
  if (typeof result.runDir !== 'string') return 'runDir missing';
  if (!Array.isArray(result.cases)) return 'cases missing';
  if (!result.checks || typeof result.checks !== 'object') return 'checks missing';
  for (const field of ['expectedFail', 'failedChecks', 'baselines', 'skippedFaults']) {
    if (!Array.isArray(result[field])) return `${field} missing`;
  }
  const bad = (result.cases as Array<Record<string, unknown>>).findIndex((item) => !item || typeof item.id !== 'string' || !Array.isArray(item.checks));
  if (bad >= 0) return `cases[${bad}] has no id or checks`;
  return undefined;
}
