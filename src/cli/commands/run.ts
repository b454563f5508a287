import { loadScenario, type Scenario } from '../../scenario/load.js';
import { runScenario } from '../../runner/run-scenario.js';
import { formatScenarioSummary } from '../../report/console.js';
import { EXIT } from '../exit-codes.js';

export interface RunCommandOptions {
  reports: string;
  depth?: number;
  concurrency?: number;
  strict?: boolean;
  quiet?: boolean;
}

/** `retryproof run SCENARIO...`: validates every file first, then runs each systematic pass. */
export async function runCommand(files: string[], options: RunCommandOptions, out: NodeJS.WritableStream): Promise<number> {
  const scenarios: Scenario[] = files.map((file) => loadScenario(file));
  const style = { color: 'isTTY' in out && Boolean((out as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR };
  let status: number = EXIT.ok;
  const verdicts: string[] = [];
  for (const scenario of scenarios) {
    if (!options.quiet) out.write(`running ${scenario.name} (${scenario.file})\n`);
    const result = await runScenario(scenario, {
      reportsDir: options.reports,
      depth: options.depth,
      concurrency: options.concurrency,
    });
    out.write(`\n${formatScenarioSummary(result, style)}\n\n`);
    const ok = options.strict ? result.verdict === 'pass' : result.asExpected;
    if (!ok) status = EXIT.checkFailed;
    verdicts.push(`${scenario.name}: ${result.verdict === 'pass' ? 'PASS' : 'FAIL'}${result.verdict === 'fail' && result.asExpected ? ' (as expected)' : ''}${ok ? '' : ' ✗'}`);
  }
  if (scenarios.length > 1) out.write(`${verdicts.join('\n')}\n`);
  return status;
}
