import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ScenarioResult } from '../core/result.js';
import type { ExploreSummary } from '../explore/explore.js';
import { displayPath, replayCommand } from './command-line.js';

/**
 * A Markdown summary of a CLI run for CI: one table row per scenario (safe to
 * retry, contract level, the failing checks) and, under it, each failing
 * schedule with the command that replays it. Appended to $GITHUB_STEP_SUMMARY
 * when it is set (a GitHub Actions job page), and to `--summary FILE`.
 */
export function markdownSummary(results: ReadonlyArray<ScenarioResult & { explore?: ExploreSummary }>): string {
  const lines = ['## retryproof', '', '| scenario | safe to retry | contract | failing checks | report |', '|---|---|---|---|---|'];
  for (const result of results) {
    const safe = result.safety.safe ? 'yes' : '**no**';
    const level = result.contract.level === null ? 'not graded' : `level ${result.contract.level} of 3${result.contract.gated ? '' : ' (not gated)'}`;
    const failing = result.failedChecks.length === 0 ? '—' : result.failedChecks.map((check) => `\`${check}\`${result.expectedFail.includes(check) ? ' (expected)' : ''}`).join(', ');
    const complete = result.complete ? '' : ' (interrupted)';
    lines.push(`| ${cell(result.scenario.name)}${complete} | ${safe} | ${level} | ${failing} | \`${cell(displayPath(result.runDir))}\` |`);
  }
  for (const result of results) {
    const failures = failingSchedules(result);
    if (failures.length === 0) continue;
    lines.push('', `### ${result.scenario.name}`, '');
    for (const failure of failures) lines.push(`- **${failure.checks.join(', ')}** — ${failure.schedule}`, `  \`${failure.replay}\``);
  }
  return `${lines.join('\n')}\n`;
}

/** The schedules to show: explore's shrunk counterexamples, else each failing check's first case. */
function failingSchedules(result: ScenarioResult & { explore?: ExploreSummary }): Array<{ checks: string[]; schedule: string; replay: string }> {
  if (result.explore) {
    return result.explore.failures.map((failure) => ({
      checks: failure.checks,
      schedule: `${failure.minimal.reproduced ? 'shrunk to' : 'found (depends on timing)'}: ${failure.minimal.scheduleText}`,
      replay: failure.reproduce,
    }));
  }
  const shown = new Map<string, { checks: string[]; schedule: string; replay: string }>();
  for (const check of result.failedChecks) {
    const first = result.cases.find((item) => item.checks.some((c) => c.check === check && c.status === 'fail'));
    if (!first) continue;
    const entry = shown.get(first.id) ?? { checks: [], schedule: `${first.id}: ${first.scheduleText}`, replay: replayCommand(result.runDir, first.id) };
    entry.checks.push(check);
    shown.set(first.id, entry);
  }
  return [...shown.values()];
}

/** Keeps a table cell one cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Appends the summary where CI and the user asked for it. */
export function writeSummary(text: string, file: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const targets = [env.GITHUB_STEP_SUMMARY, file].filter((target): target is string => Boolean(target));
  for (const target of new Set(targets.map((target) => path.resolve(target)))) {
    mkdirSync(path.dirname(target), { recursive: true });
    appendFileSync(target, text);
  }
  return targets;
}
