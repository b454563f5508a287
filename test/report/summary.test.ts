import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliInvocation } from '../../src/report/command-line.js';
import { markdownSummary, writeSummary } from '../../src/report/summary.js';
import { CRASH_CASE, TIMEOUT_CASE, writeSampleRun } from './fixtures/sample-run.js';

const run = writeSampleRun();
const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-summary-'));
afterAll(() => {
  run.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('the Markdown summary for CI (issue 14, item 10)', () => {
  it('has a row per scenario with both verdicts, and each failing check\'s first schedule with its replay command', () => {
    const text = markdownSummary([run.result]);
    const lines = text.split('\n');
    expect(lines.slice(0, 4)).toEqual(['## retryproof', '', '| scenario | safe to retry | contract | failing checks | report |', '|---|---|---|---|---|']);
    const row = lines[4]!;
    expect(row).toMatch(/^\| orders-sample \| \*\*no\*\* \| not graded \| /);
    expect(row).toContain("`effect-field` (expected)");
    expect(row).toContain('`no-duplicate-effects`');
    expect(text).toContain(`### orders-sample`);
    expect(text).toContain(`- **no-duplicate-effects, effect-field** — ${TIMEOUT_CASE}: `);
    expect(text).toContain(`\`${cliInvocation()} replay ${run.runDir}/report.json --case ${TIMEOUT_CASE}\``);
    // One line per failing case, not one per check: the crash case is not where either check first failed.
    expect(text).not.toContain(`— ${CRASH_CASE}`);
  });

  it('shows explore\'s shrunk counterexamples instead, when there are any', () => {
    const failure = {
      checks: ['no-duplicate-effects' as const],
      firstFailure: { index: 3, caseId: 'explore/4', scheduleSize: 2 },
      minimal: { caseId: 'explore/4/no-duplicate-effects/shrink-3', schedule: run.result.cases[0]!.schedule, scheduleText: 'request 1 to payments: timeout after commit', scheduleSize: 1, failedChecks: ['no-duplicate-effects' as const], path: '3:0', shrinks: 3, reproduced: true },
      reproduce: 'retryproof replay x/report.json --case explore/4/no-duplicate-effects/shrink-3',
    };
    const explore = { seed: 1, runs: 10, shard: null, planned: 10, executed: 10, casesPerSecond: 1, failures: [failure], firstFailure: failure.firstFailure, minimal: failure.minimal, reproduce: failure.reproduce };
    const text = markdownSummary([{ ...run.result, explore }]);
    expect(text).toContain('- **no-duplicate-effects** — shrunk to: request 1 to payments: timeout after commit\n  `retryproof replay x/report.json --case explore/4/no-duplicate-effects/shrink-3`');
  });

  it('is appended to $GITHUB_STEP_SUMMARY when set, and to --summary FILE', () => {
    const step = path.join(dir, 'step.md');
    const file = path.join(dir, 'nested', 'summary.md');
    expect(writeSummary('one\n', file, { GITHUB_STEP_SUMMARY: step })).toEqual([step, file]);
    writeSummary('two\n', file, { GITHUB_STEP_SUMMARY: step });
    expect(readFileSync(step, 'utf8')).toBe('one\ntwo\n');
    expect(readFileSync(file, 'utf8')).toBe('one\ntwo\n');
    // Neither: nothing written anywhere.
    expect(writeSummary('three\n', undefined, {})).toEqual([]);
    expect(existsSync(path.join(dir, 'three.md'))).toBe(false);
  });
});
