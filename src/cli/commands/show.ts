import { RetryproofError } from '../../errors.js';
import { Ledger } from '../../ledger/ledger.js';
import type { CaseResult } from '../../core/result.js';
import { buildTimeline, type CaseTimeline, type Tone } from '../../report/timeline.js';
import { readRunFolder } from '../../report/write-reports.js';
import { EXIT } from '../exit-codes.js';

export interface ShowCommandOptions {
  case: string;
}

/** `retryproof show RUN_DIR --case ID`: a case's timeline from the run's ledger, in the terminal. */
export async function showCommand(runDir: string, options: ShowCommandOptions, out: NodeJS.WritableStream): Promise<number> {
  const run = readRunFolder(runDir);
  const ledger = new Ledger(run.ledgerFile, { readonly: true });
  try {
    const item = run.result.cases.find((candidate) => candidate.id === options.case);
    const rows = ledger.readCase(options.case);
    const checks = ledger.readChecks(options.case);
    if (!item && rows.invocations.length === 0 && checks.length === 0) {
      const failing = run.result.cases.filter((candidate) => candidate.verdict === 'fail').map((candidate) => candidate.id);
      const some = (failing.length ? failing : run.result.cases.map((candidate) => candidate.id)).slice(0, 8);
      throw new RetryproofError(
        'BAD_ARGUMENT',
        `no case "${options.case}" in this run (${run.result.cases.length} cases)`,
        { file: run.reportFile, field: '--case' },
        `give one of the case ids in report.json${some.length ? `, e.g. ${some.join(', ')}` : ''}`,
      );
    }
    const evidence = checks.map((row) => ({ check: row.check, status: row.status, evidence: parseEvidence(row.evidenceJson) }));
    const timeline = buildTimeline(options.case, rows, { checks: evidence });
    const color = 'isTTY' in out && Boolean((out as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR;
    out.write(`${formatTimeline(timeline, item, checks, color)}\n`);
  } finally {
    ledger.close();
  }
  return EXIT.ok;
}

function parseEvidence(text: string): { effects?: number[] } {
  try {
    return JSON.parse(text) as { effects?: number[] };
  } catch {
    return {};
  }
}

const TONE_COLOR: Record<Tone, number> = { neutral: 0, ok: 32, fault: 33, failure: 31, unknown: 35, commit: 36, duplicate: 31, replayed: 34 };

/**
 * The terminal form of a timeline: one line per step, the time, who talks to
 * whom, and what happened; a duplicate effect is marked DUPLICATE.
 */
export function formatTimeline(
  timeline: CaseTimeline,
  item: CaseResult | undefined,
  checks: ReadonlyArray<{ check: string; status: string; message: string }>,
  color: boolean,
): string {
  const paint = (code: number, text: string): string => (color && code ? `\x1b[${code}m${text}\x1b[0m` : text);
  // The target's text may hold terminal escapes: show them, never send them.
  const clean = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const name = new Map(timeline.lanes.map((lane) => [lane.id, lane.kind === 'invocation' ? lane.title.replace('invocation', 'inv') : lane.title]));
  const failed = checks.filter((check) => check.status === 'fail');
  const lines = [paint(1, `${clean(timeline.caseId)}: ${failed.length ? 'FAIL' : 'pass'}`)];
  if (item) lines.push(`  schedule: ${clean(item.scheduleText)}`, `  outcome:  ${clean(item.outcomeText)}`);
  lines.push(`  lanes:    ${timeline.lanes.map((lane) => (lane.kind === 'invocation' ? `${name.get(lane.id)} (${lane.subtitle})` : lane.title)).join(' | ')}`, '');
  const width = Math.max(...[...name.values()].map((value) => value.length)) * 2 + 3;
  for (const step of timeline.steps) {
    const who = step.from === step.to ? name.get(step.from)! : `${name.get(step.from)} ${step.kind === 'answer' && step.delivery !== 'response' ? '-x' : '->'} ${name.get(step.to)}`;
    let text = clean(step.text);
    if (step.kind === 'request' && step.fault) text += ` ${paint(33, `[fault ${step.fault}]`)}`;
    if (step.kind === 'commit') text = `◆ ${text}${step.duplicate ? ` ${paint(41, ' DUPLICATE ')}` : ''}`;
    lines.push(`  ${String(step.atMs).padStart(6)} ms  ${who.padEnd(width)}  ${step.kind === 'request' ? text : paint(TONE_COLOR[step.tone], text)}`);
  }
  if (timeline.steps.length === 0) lines.push('  (the ledger holds no rows for this case)');
  if (failed.length) {
    lines.push('', '  failed checks:');
    for (const check of failed) lines.push(`    ${paint(31, check.check)}: ${clean(check.message)}`);
  }
  const output = timeline.invocations.filter((invocation) => invocation.stdout || invocation.stderr);
  if (output.length) {
    lines.push('', '  output:');
    for (const invocation of output) {
      const show = (label: string, text: string): void => {
        if (!text) return;
        const body = text.length > 400 ? `${text.slice(0, 400)}…` : text;
        lines.push(`    inv ${invocation.id} ${label}: ${clean(JSON.stringify(body))}`);
      };
      show('stdout', invocation.stdout);
      show('stderr', invocation.stderr);
    }
  }
  return lines.join('\n');
}
