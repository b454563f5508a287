import { loadScenario, type Scenario } from '../../scenario/load.js';
import { Interrupted } from '../../runner/interrupted.js';
import { formatScenarioSummary } from '../../report/console.js';
import { markdownSummary, writeSummary } from '../../report/summary.js';
import type { ScenarioResult } from '../../core/result.js';
import { createProgress } from '../../report/progress.js';
import { EXIT } from '../exit-codes.js';
import { INTERRUPT_EXIT, installInterruptHandlers } from '../interrupts.js';

export interface RunCommandOptions {
  reports: string;
  depth?: number;
  concurrency?: number;
  strict?: boolean;
  quiet?: boolean;
  summary?: string;
}

/** `retryproof run SCENARIO...`: validates every file first, then runs each systematic pass. */
export async function runCommand(files: string[], options: RunCommandOptions, out: NodeJS.WritableStream): Promise<number> {
  const scenarios: Scenario[] = files.map((file) => loadScenario(file));
  // Loaded only once every file is valid: a typo is answered without loading the runner.
  const { runScenario } = await import('../../runner/run-scenario.js');
  const style = { color: 'isTTY' in out && Boolean((out as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR };
  const interrupts = installInterruptHandlers();
  let status: number = EXIT.ok;
  const verdicts: string[] = [];
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of scenarios) {
      if (!options.quiet) out.write(`running ${scenario.name} (${scenario.file})\n`);
      const progress = createProgress(scenario.name, { quiet: options.quiet });
      let done = 0;
      let failed = 0;
      let result;
      try {
        result = await runScenario(scenario, {
          reportsDir: options.reports,
          depth: options.depth,
          concurrency: options.concurrency,
          signal: interrupts.signal,
          onCase: (item) => {
            done += 1;
            if (item.verdict === 'fail') failed += 1;
            progress.update(done, undefined, failed);
          },
        });
      } catch (error) {
        // Interrupted before any case finished: nothing to report.
        if (error instanceof Interrupted) break;
        throw error;
      } finally {
        progress.done();
      }
      out.write(`\n${formatScenarioSummary(result, style)}\n\n`);
      results.push(result);
      if (!result.complete) break;
      // --strict: every check of every family must hold, whatever the scenario expects or gates.
      const ok = options.strict ? result.failedChecks.length === 0 : result.asExpected;
      if (!ok) status = EXIT.checkFailed;
      const level = result.contract.level === null ? 'contract not graded' : `contract level ${result.contract.level}`;
      verdicts.push(`${scenario.name}: safe to retry ${result.safety.safe ? 'yes' : 'no'}, ${level}${result.asExpected && result.expectedFail.length ? ' (as expected)' : ''}${ok ? '' : ' ✗'}`);
    }
  } finally {
    interrupts.dispose();
    if (results.length > 0) writeSummary(markdownSummary(results), options.summary);
  }
  const signal = interrupts.received();
  if (signal) return INTERRUPT_EXIT[signal];
  if (scenarios.length > 1) out.write(`${verdicts.join('\n')}\n`);
  return status;
}
