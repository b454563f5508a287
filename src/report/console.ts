import { CHECK_NAMES, familyOf } from '../core/check-names.js';
import type { CaseResult, ScenarioResult } from '../core/result.js';
import { displayPath } from './command-line.js';
import { plural } from '../checks/check.js';

export interface ConsoleStyle {
  color: boolean;
}

const UNREACHED = 'fault not reached';

/** Enough to see the pattern; the report has every case. */
const MAX_FAILED_LINES = 40;

const paint = (style: ConsoleStyle, code: number, text: string): string => (style.color ? `\x1b[${code}m${text}\x1b[0m` : text);

/** One line for a case that failed: its id, schedule in words, what happened, and the checks it broke. */
export function failedCaseLine(result: CaseResult, style: ConsoleStyle): string {
  const failed = result.checks.filter((check) => check.status === 'fail').map((check) => check.check);
  return `  ${paint(style, 31, '✗')} ${result.id}: ${result.scheduleText} → ${result.outcomeText} [${failed.join(', ')}]`;
}

/** The end-of-scenario summary: failed cases, the first violation of each check, the checks table, the verdict. */
export function formatScenarioSummary(result: ScenarioResult, style: ConsoleStyle, options: { cases?: readonly string[] } = {}): string {
  const lines: string[] = [];
  const failedCases = result.cases.filter((item) => item.verdict === 'fail' && (!options.cases || options.cases.includes(item.id)));
  lines.push(`${paint(style, 1, result.scenario.name)} (${result.scenario.file}): ${plural(result.cases.length, 'case')}, ${failedCases.length} failed, ${(result.durationMs / 1000).toFixed(1)} s`);
  lines.push(...verdictLines(result, style));
  const shown = failedCases.slice(0, MAX_FAILED_LINES);
  for (const item of shown) lines.push(failedCaseLine(item, style));
  if (failedCases.length > shown.length) {
    lines.push(`  … and ${failedCases.length - shown.length} more failed cases: see report.json`);
  }

  const firstViolations = CHECK_NAMES.flatMap((name) => {
    const example = result.cases.flatMap((item) => item.checks.filter((check) => check.check === name && check.status === 'fail').map((check) => ({ item, check })))[0];
    return example ? [`  ${paint(style, 31, name)} first failed in ${example.item.id}:\n      ${example.check.message}`] : [];
  });
  if (firstViolations.length > 0) lines.push('', ...firstViolations);

  const allNotes = result.cases.flatMap((item) => item.notes);
  const unreached = result.cases.filter((item) => item.notes.some((note) => note.startsWith(UNREACHED))).length;
  const notes = [...new Set(allNotes.filter((note) => !note.startsWith(UNREACHED)))];
  if (unreached > 0) notes.push(`${unreached} case${unreached === 1 ? '' : 's'} never reached the request their fault was bound to (see report.json)`);
  if (result.unreachableCases > 0) {
    notes.push(`${plural(result.unreachableCases, 'planned case')} skipped: they fault a request position the fault-free case never reaches`);
  }
  for (const skipped of result.skippedFaults) notes.push(`${skipped.fault} not run: ${skipped.reason}`);
  for (const baseline of result.baselines) for (const why of baseline.discarded ?? []) notes.push(`${baseline.operation}: ${why}; tried again`);
  if (notes.length > 0) lines.push('', ...notes.map((note) => `  note: ${note}`));

  lines.push('', `  ${'check'.padEnd(26)} ${'family'.padEnd(8)} ${'pass'.padStart(5)} ${'fail'.padStart(5)} ${'warn'.padStart(5)} ${'skip'.padStart(5)}`);
  for (const name of CHECK_NAMES) {
    const tally = result.checks[name];
    if (!tally) continue;
    const row = `  ${name.padEnd(26)} ${familyOf(name).padEnd(8)} ${String(tally.pass).padStart(5)} ${String(tally.fail).padStart(5)} ${String(tally.warn).padStart(5)} ${String(tally.skip).padStart(5)}`;
    lines.push(tally.fail > 0 ? paint(style, 31, row) : row);
  }
  if (result.contract && result.contract.level !== null) {
    lines.push('', `  contract level ${result.contract.level} of 3, because:`, ...result.contract.reasons.map((reason) => `    - ${reason}`));
  }
  if (!result.complete) lines.push('', paint(style, 33, `  INTERRUPTED: the report holds the ${plural(result.cases.length, 'case')} that finished and is marked incomplete`));
  lines.push('', `  ${verdictLine(result, style)}`, `  report: ${displayPath(result.runDir)}`);
  return lines.join('\n');
}

/** The two verdicts, first thing under the scenario's name: safe to retry, and the contract level. */
export function verdictLines(result: ScenarioResult, style: ConsoleStyle): string[] {
  const { safety, contract } = result;
  if (!safety || !contract) return [];
  const safe = safety.safe
    ? paint(style, 32, '  safe to retry: YES — every effects and retry-behaviour check held')
    : paint(style, 31, `  safe to retry: NO — ${safety.failedChecks.join(', ')} failed`);
  const level = contract.level === null ? 'not graded' : `level ${contract.level} of 3`;
  const failing = contract.failedChecks.length > 0 ? `; failing: ${contract.failedChecks.join(', ')}` : '; every contract check held';
  const gate = contract.gated ? 'gates the exit status' : 'graded, not gated';
  const line = `  contract: ${level}${failing} (${gate}: ${contract.why})`;
  return [safe, contract.gated && contract.failedChecks.length > 0 ? paint(style, 31, line) : line];
}

export function verdictLine(result: ScenarioResult, style: ConsoleStyle): string {
  const unexpected = result.unexpectedFailures ?? [];
  const held = result.heldExpected ?? [];
  const gaps = [unexpected.length ? `unexpected: ${unexpected.join(', ')}` : '', held.length ? `expected to fail but held: ${held.join(', ')}` : ''].filter(Boolean).join('; ');
  if (result.asExpected) {
    if (result.expectedFail.length > 0) return paint(style, 33, `verdict: FAIL as expected (${result.expectedFail.join(', ')})`);
    return paint(style, 32, 'verdict: PASS');
  }
  return paint(style, 31, `verdict: FAIL — ${gaps}`);
}
