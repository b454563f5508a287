import { CHECK_NAMES } from '../core/check-names.js';
import type { CaseResult, ScenarioResult } from '../core/result.js';

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
  lines.push(`${paint(style, 1, result.scenario.name)} (${result.scenario.file}): ${result.cases.length} cases, ${failedCases.length} failed, ${(result.durationMs / 1000).toFixed(1)} s`);
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
    notes.push(`${result.unreachableCases} planned cases skipped: they fault a request position the fault-free case never reaches`);
  }
  for (const skipped of result.skippedFaults) notes.push(`${skipped.fault} not run: ${skipped.reason}`);
  if (notes.length > 0) lines.push('', ...notes.map((note) => `  note: ${note}`));

  lines.push('', `  ${'check'.padEnd(26)} ${'pass'.padStart(5)} ${'fail'.padStart(5)} ${'warn'.padStart(5)} ${'skip'.padStart(5)}`);
  for (const name of CHECK_NAMES) {
    const tally = result.checks[name];
    if (!tally) continue;
    const row = `  ${name.padEnd(26)} ${String(tally.pass).padStart(5)} ${String(tally.fail).padStart(5)} ${String(tally.warn).padStart(5)} ${String(tally.skip).padStart(5)}`;
    lines.push(tally.fail > 0 ? paint(style, 31, row) : row);
  }
  if (result.conformance && result.conformance.level !== null) {
    lines.push('', `  conformance level ${result.conformance.level} of 3:`, ...result.conformance.reasons.map((reason) => `    - ${reason}`));
  }
  if (!result.complete) lines.push('', paint(style, 33, `  INTERRUPTED: the report holds the ${result.cases.length} cases that finished and is marked incomplete`));
  lines.push('', `  ${verdictLine(result, style)}`, `  report: ${result.runDir}`);
  return lines.join('\n');
}

export function verdictLine(result: ScenarioResult, style: ConsoleStyle): string {
  const failed = result.failedChecks.join(', ');
  if (result.verdict === 'pass') {
    return result.asExpected
      ? paint(style, 32, 'verdict: PASS — every check held')
      : paint(style, 31, `verdict: PASS, but the scenario expected these checks to fail: ${result.expectedFail.join(', ')}`);
  }
  if (result.asExpected) return paint(style, 33, `verdict: FAIL as expected (${failed})`);
  const unexpected = result.failedChecks.filter((name) => !result.expectedFail.includes(name));
  const missing = result.expectedFail.filter((name) => !result.failedChecks.includes(name));
  const detail = [unexpected.length ? `unexpected: ${unexpected.join(', ')}` : '', missing.length ? `expected but held: ${missing.join(', ')}` : ''].filter(Boolean).join('; ');
  return paint(style, 31, `verdict: FAIL (${failed})${result.expectedFail.length ? ` — ${detail}` : ''}`);
}
