import { replayCase } from '../../explore/replay.js';
import { formatScenarioSummary } from '../../report/console.js';
import { EXIT } from '../exit-codes.js';

export interface ReplayCommandOptions {
  case?: string;
  schedule?: string;
  scenario?: string;
  har?: string;
  fault?: string;
  reports: string;
  quiet?: boolean;
}

/** `retryproof replay REPORT [--case ID]`, `retryproof replay --schedule FILE --scenario FILE` or `retryproof replay --har FILE --scenario FILE [--fault NAME]`. */
export async function replayCommand(report: string | undefined, options: ReplayCommandOptions, out: NodeJS.WritableStream): Promise<number> {
  const result = await replayCase({
    report,
    caseId: options.case,
    scheduleFile: options.schedule,
    scenarioFile: options.scenario,
    ...(options.har !== undefined && { harFile: options.har }),
    ...(options.fault !== undefined && { fault: options.fault }),
    reportsDir: options.reports,
  });
  const { replay } = result;
  const item = result.cases[0]!;
  const lines = [`replayed ${replay.of.caseId}: ${item.scheduleText}`, `  → ${item.outcomeText}`];
  if (replay.recorded) {
    lines.push(
      replay.sameChecks && replay.sameLedger
        ? `  reproduced exactly: the same checks ${replay.failedChecks.length ? `failed (${replay.failedChecks.join(', ')})` : 'held'}, the same requests and effects`
        : `  DIFFERS from the recording:\n${replay.differences.map((line) => `    ${line}`).join('\n')}`,
    );
  }
  const style = { color: 'isTTY' in out && Boolean((out as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR };
  out.write(options.quiet ? `${lines.join('\n')}\n` : `${lines.join('\n')}\n\n${formatScenarioSummary(result, style)}\n`);
  // A replay that does not reproduce its recording fails, whatever its checks say: the incident is not pinned down.
  if (replay.recorded && !(replay.sameChecks && replay.sameLedger)) return EXIT.checkFailed;
  return result.verdict === 'pass' ? EXIT.ok : EXIT.checkFailed;
}
