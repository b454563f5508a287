import type { CheckName } from '../../core/check-names.js';
import { RetryproofError } from '../../errors.js';
import { exploreScenario, type Shard } from '../../explore/explore.js';
import { formatScenarioSummary } from '../../report/console.js';
import { createProgress } from '../../report/progress.js';
import { loadScenario } from '../../scenario/load.js';
import { Interrupted } from '../../runner/interrupted.js';
import { EXIT } from '../exit-codes.js';
import { INTERRUPT_EXIT, installInterruptHandlers } from '../interrupts.js';

export interface ExploreCommandOptions {
  runs: number;
  seed: number;
  concurrency: number;
  shard?: string;
  reports: string;
  quiet?: boolean;
  check?: string[];
}

/** `retryproof explore SCENARIO --runs N --seed S`. */
export async function exploreCommand(file: string, options: ExploreCommandOptions, out: NodeJS.WritableStream): Promise<number> {
  const scenario = loadScenario(file);
  const shard = options.shard ? parseShard(options.shard) : undefined;
  const checks = options.check?.map((name) => {
    if (!scenario.checks.includes(name as CheckName)) {
      throw new RetryproofError('BAD_ARGUMENT', `--check ${name}: not a check this scenario runs (${scenario.checks.join(', ')})`, { field: '--check' }, 'name one of them');
    }
    return name as CheckName;
  });
  const progress = createProgress(`explore ${scenario.name}`, { quiet: options.quiet });
  const interrupts = installInterruptHandlers();
  let result;
  try {
    result = await exploreScenario(scenario, {
    signal: interrupts.signal,
    runs: options.runs,
    seed: options.seed,
    concurrency: options.concurrency,
    shard,
    checks,
    reportsDir: options.reports,
    onProgress: ({ done, total, failures }) => progress.update(done, total, failures),
    });
  } catch (error) {
    if (error instanceof Interrupted) return INTERRUPT_EXIT[interrupts.received() ?? 'SIGINT'];
    throw error;
  } finally {
    progress.done();
    interrupts.dispose();
  }
  const style = { color: 'isTTY' in out && Boolean((out as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR };
  const { explore } = result;
  const lines = [
    `explored ${scenario.name}: seed ${explore.seed}, ${explore.executed} of ${explore.planned} random cases run${shard ? ` (shard ${shard.index}/${shard.count})` : ''}, ${explore.casesPerSecond} cases/s`,
  ];
  if (explore.minimal && !explore.minimal.reproduced) {
    lines.push(
      `  first failure: case ${explore.firstFailure!.index} (${explore.firstFailure!.scheduleSize} faults): ${explore.minimal.scheduleText}`,
      `  it breaks: ${explore.minimal.failedChecks.join(', ')}`,
      '  it did not fail again when its schedule ran again: it depends on timing (a race, a load-dependent timeout), so it was not shrunk; its ledger is the evidence',
      `  try again: ${explore.reproduce}`,
    );
  } else if (explore.minimal) {
    lines.push(
      `  first failure: case ${explore.firstFailure!.index} (${explore.firstFailure!.scheduleSize} faults)`,
      `  shrunk in ${explore.minimal.shrinks} steps to ${explore.minimal.scheduleSize} fault${explore.minimal.scheduleSize === 1 ? '' : 's'}: ${explore.minimal.scheduleText}`,
      `  it breaks: ${explore.minimal.failedChecks.join(', ')}`,
      `  reproduce: ${explore.reproduce}`,
    );
  } else {
    lines.push('  no random schedule broke a check');
  }
  out.write(`${lines.join('\n')}\n\n${formatScenarioSummary(result, style, { cases: explore.minimal ? [explore.firstFailure!.caseId, explore.minimal.caseId] : [] })}\n`);
  const signal = interrupts.received();
  if (signal) return INTERRUPT_EXIT[signal];
  return explore.minimal ? EXIT.checkFailed : EXIT.ok;
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new RetryproofError('BAD_ARGUMENT', `--shard takes I/N with 1 ≤ I ≤ N, got "${text}"`, { field: '--shard' }, 'e.g. --shard 1/4 on the first of four CI machines');
  }
  return { index, count };
}
