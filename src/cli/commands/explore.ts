import { expandCheckNames, type CheckName } from '../../core/check-names.js';
import { RetryproofError } from '../../errors.js';
import { exploreScenario, type ExploreFailure, type Shard } from '../../explore/explore.js';
import { formatScenarioSummary } from '../../report/console.js';
import { markdownSummary, writeSummary } from '../../report/summary.js';
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
  maxFailures?: number;
  summary?: string;
}

/** `retryproof explore SCENARIO --runs N --seed S`. */
export async function exploreCommand(file: string, options: ExploreCommandOptions, out: NodeJS.WritableStream): Promise<number> {
  const scenario = loadScenario(file);
  const shard = options.shard ? parseShard(options.shard) : undefined;
  const named = options.check?.map((name) => {
    if (!scenario.checks.includes(name as CheckName)) {
      throw new RetryproofError('BAD_ARGUMENT', `--check ${name}: not a check this scenario runs (${scenario.checks.join(', ')})`, { field: '--check' }, 'name one of them');
    }
    return name as CheckName;
  });
  const checks = named && expandCheckNames(named);
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
    maxFailures: options.maxFailures,
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
    `explored ${scenario.name}: seed ${explore.seed}, ${explore.executed} of ${plural(explore.planned, 'random case')} run${shard ? ` (shard ${shard.index}/${shard.count})` : ''}, ${explore.casesPerSecond} cases/s`,
  ];
  explore.failures.forEach((failure, n) => lines.push(...failureLines(failure, n + 1)));
  if (explore.failures.length === 0) lines.push('  no random schedule broke a check');
  const shownCases = explore.failures.flatMap((failure) => [failure.firstFailure.caseId, failure.minimal.caseId]);
  out.write(`${lines.join('\n')}\n\n${formatScenarioSummary(result, style, { cases: shownCases })}\n`);
  writeSummary(markdownSummary([result]), options.summary);
  const signal = interrupts.received();
  if (signal) return INTERRUPT_EXIT[signal];
  // Like run: the exit status follows the checks that gate (safety, and the contract where it gates), less what the scenario expects.
  const unexpected = result.unexpectedFailures.filter((name) => !checks || checks.includes(name));
  return unexpected.length > 0 ? EXIT.checkFailed : EXIT.ok;
}

/** One distinct failure, in words: where it was found, what it shrank to, and how to run it again. */
function failureLines(failure: ExploreFailure, n: number): string[] {
  const { firstFailure, minimal } = failure;
  const head = `  failure ${n}: ${failure.checks.join(', ')} — first broken by random case ${firstFailure.index + 1} (${plural(firstFailure.scheduleSize, 'fault')})`;
  if (!minimal.reproduced) {
    return [
      head,
      `    schedule: ${minimal.scheduleText}`,
      `    it breaks: ${minimal.failedChecks.join(', ')}`,
      '    it did not fail again when its schedule ran again: it depends on timing (a race, a load-dependent timeout), so it was not shrunk; its ledger is the evidence',
      `    try again: ${failure.reproduce}`,
    ];
  }
  return [
    head,
    `    shrunk in ${minimal.shrinks} steps to ${plural(minimal.scheduleSize, 'fault')}: ${minimal.scheduleText}`,
    `    it breaks: ${minimal.failedChecks.join(', ')}`,
    `    reproduce: ${failure.reproduce}`,
  ];
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
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
