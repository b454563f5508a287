import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CheckName } from '../core/check-names.js';
import { RetryproofError } from '../errors.js';
import { Ledger } from '../ledger/ledger.js';
import type { CaseRows } from '../ledger/rows.js';
import { loadScenario, type Scenario } from '../scenario/load.js';
import { writeJsonReport } from '../report/json.js';
import { writeReports } from '../report/write-reports.js';
import type { CaseResult, ScenarioResult } from '../core/result.js';
import { summarise } from '../runner/run-scenario.js';
import { openRunSession } from '../runner/run-session.js';
import { VERSION } from '../version.js';
import { runReferenceCases } from './explore.js';
import { harIncidentSchedule, withHarFile } from './har-incident.js';
import { loadScheduleFile, validateSchedule } from './schedule-file.js';
import type { Schedule } from '../core/schedule.js';

export interface ReplayOptions {
  /** A run's report.json, or its folder. */
  report?: string;
  /** The case to replay (default: the explored minimal failure, else the first failed case). */
  caseId?: string;
  /** A hand-written schedule instead of a recorded case. */
  scheduleFile?: string;
  /** The scenario, when it cannot be taken from the report. */
  scenarioFile?: string;
  reportsDir?: string;
  /** A HAR recording for the scenario's `model: har` upstreams; without a schedule or report, its incident is the case. */
  harFile?: string;
  /** The fault the user suspects in the recorded incident (with harFile; default timeout-after-commit). */
  fault?: string;
}

export interface ReplayComparison {
  of: { report: string | null; caseId: string };
  /** Whether there was a recording to compare with. */
  recorded: boolean;
  sameChecks: boolean;
  sameLedger: boolean;
  recordedFailedChecks: CheckName[];
  failedChecks: CheckName[];
  differences: string[];
}

export interface ReplayResult extends ScenarioResult {
  replay: ReplayComparison;
}

/**
 * Runs a recorded case (or a hand-written schedule) again, exactly, and
 * compares: the same checks fail, and the ledger holds the same invocations,
 * requests and effects (ids and timestamps aside).
 */
export async function replayCase(options: ReplayOptions): Promise<ReplayResult> {
  const recording = options.report ? readRecording(options.report) : undefined;
  const scenarioFile = options.scenarioFile ?? recording?.report.scenario.path;
  if (!scenarioFile) {
    throw new RetryproofError('BAD_ARGUMENT', 'a schedule needs a scenario to run against', {}, 'give --scenario FILE, or a report to replay');
  }
  const loaded = loadScenario(scenarioFile);
  const scenario = options.harFile ? withHarFile(loaded, options.harFile) : loaded;
  let caseId: string;
  let schedule: Schedule;
  let recorded: CaseResult | undefined;
  if (options.scheduleFile) {
    schedule = loadScheduleFile(options.scheduleFile, scenario);
    caseId = options.caseId ?? `schedule/${path.basename(options.scheduleFile).replace(/\.(ya?ml|json)$/i, '')}`;
  } else if (!recording && options.harFile) {
    schedule = validateSchedule(harIncidentSchedule(scenario, options.fault), scenario, scenarioFile);
    caseId = options.caseId ?? `har/${path.basename(options.harFile).replace(/\.har$/i, '')}`;
  } else {
    if (!recording) throw new RetryproofError('BAD_ARGUMENT', 'nothing to replay', {}, 'give a report (and --case ID) or --schedule FILE');
    recorded = pickCase(recording.report, options.caseId, recording.file);
    caseId = recorded.id;
    schedule = validateSchedule(recorded.schedule, scenario, recording.file);
  }

  const session = await openRunSession(scenario, { reportsDir: options.reportsDir });
  let result: CaseResult;
  let reference: CaseResult[];
  try {
    // The same case id gives the same caller keys, so the replay is the same case.
    result = await session.runOne({ id: caseId, schedule }, 'replay');
    // The contract level is graded on the same reference cases as in run and explore.
    reference = [result, ...(await runReferenceCases(session, scenario, new Set(session.unsupportedFaults.keys()), new Set([caseId])))];
  } catch (error) {
    await session.abort();
    throw error;
  }
  const replayedRows = session.ledger.readCase(caseId);
  await session.finish();

  const failedChecks = failed(result);
  const comparison: ReplayComparison = {
    of: { report: recording?.file ?? null, caseId },
    recorded: Boolean(recorded),
    sameChecks: true,
    sameLedger: true,
    recordedFailedChecks: recorded ? failed(recorded) : [],
    failedChecks,
    differences: [],
  };
  if (recorded && recording) {
    comparison.sameChecks = comparison.recordedFailedChecks.join(',') === failedChecks.join(',');
    if (!comparison.sameChecks) {
      comparison.differences.push(`checks failed: recorded ${comparison.recordedFailedChecks.join(', ') || 'none'}, now ${failedChecks.join(', ') || 'none'}`);
    }
    const recordedRows = readRecordedRows(recording.dir, caseId);
    if (recordedRows) {
      const differences = compareRows(recordedRows, replayedRows);
      comparison.sameLedger = differences.length === 0;
      comparison.differences.push(...differences);
    }
  }
  const summary: ReplayResult = { ...summarise(scenario, session, [result], reference), replay: comparison };
  writeJsonReport(summary, VERSION);
  writeReports(summary, summary.runDir);
  return summary;
}

function failed(result: CaseResult): CheckName[] {
  return result.checks.filter((check) => check.status === 'fail').map((check) => check.check);
}

function readRecording(reportPath: string): { file: string; dir: string; report: ScenarioResult & { explore?: { minimal?: { caseId: string } | null } } } {
  const file = existsSync(reportPath) && !reportPath.endsWith('.json') ? path.join(reportPath, 'report.json') : reportPath;
  try {
    const report = JSON.parse(readFileSync(file, 'utf8')) as ScenarioResult;
    if (!Array.isArray(report.cases) || !report.scenario) throw new Error('not a retryproof report');
    return { file, dir: path.dirname(file), report };
  } catch (error) {
    throw new RetryproofError('REPORT_UNREADABLE', `cannot read the report: ${(error as Error).message}`, { file }, 'give the report.json (or the run folder) that `retryproof run` or `explore` wrote');
  }
}

function pickCase(report: ScenarioResult & { explore?: { minimal?: { caseId: string } | null } }, caseId: string | undefined, file: string): CaseResult {
  const wanted = caseId ?? report.explore?.minimal?.caseId ?? report.cases.find((item) => item.verdict === 'fail')?.id ?? report.cases[0]?.id;
  const found = report.cases.find((item) => item.id === wanted);
  if (!found) {
    const some = report.cases.slice(0, 5).map((item) => item.id).join(', ');
    throw new RetryproofError('BAD_ARGUMENT', `no case "${wanted}" in this report`, { file, field: '--case' }, `name one of its cases, e.g. ${some}`);
  }
  return found;
}

function readRecordedRows(dir: string, caseId: string): CaseRows | undefined {
  const file = path.join(dir, 'ledger.sqlite');
  if (!existsSync(file)) return undefined;
  const ledger = new Ledger(file, { readonly: true });
  try {
    return ledger.readCase(caseId);
  } finally {
    ledger.close();
  }
}

/** The comparable shape of a case: what happened, without ids, timings and generated values. */
export function caseShape(rows: CaseRows): string[] {
  return [
    ...rows.invocations.map((i) => `invocation ${i.seq} ${i.role}: exit ${i.exitCode ?? '-'} http ${i.httpStatus ?? '-'} killed ${i.killReason ?? '-'} effect ${i.effect ?? '-'}`),
    ...rows.requests.map((r) => `request ${r.upstream}#${r.ordinal} ${r.method} ${r.route}: fault ${r.fault}, ${r.outcome}${r.committed ? ' (committed)' : ''}, ${r.delivery} ${r.clientStatus ?? ''}`.trim()),
    ...rows.effects.map((e) => `effect ${e.fingerprint}`),
  ];
}

function compareRows(recorded: CaseRows, replayed: CaseRows): string[] {
  const before = caseShape(recorded);
  const after = caseShape(replayed);
  const differences: string[] = [];
  const max = Math.max(before.length, after.length);
  for (let i = 0; i < max; i += 1) {
    if (before[i] !== after[i]) differences.push(`recorded: ${before[i] ?? '(nothing)'} | replayed: ${after[i] ?? '(nothing)'}`);
  }
  return differences;
}
