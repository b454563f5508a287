#!/usr/bin/env node
import os from 'node:os';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { isRetryproofError } from '../errors.js';
import { VERSION } from '../version.js';
import { EXIT } from './exit-codes.js';

/** The CLI only parses arguments and calls the programmatic API lazily; errors map to exit codes here. */
function positiveInteger(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError(`${name} takes a whole number of 1 or more, got "${value}"`);
    return parsed;
  };
}

function integer(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed)) throw new InvalidArgumentError(`${name} takes a whole number, got "${value}"`);
    return parsed;
  };
}

export function buildProgram(): Command {
  const program = new Command('retryproof')
    .description('Proves, or disproves, that a command or an API is safe to retry.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run `retryproof --help` for usage)');

  program
    .command('run')
    .description('the systematic pass: every listed fault at every upstream request position, then the checks')
    .argument('<scenario...>', 'scenario files (YAML or JSON)')
    .option('--reports <dir>', 'where run folders are written', 'reports')
    .option('--depth <n>', 'fault request positions 1..n (overrides the scenario)', positiveInteger('--depth'))
    .option('--concurrency <n>', "cases run at once, each with its own upstreams (results do not depend on it; default: the machine's cores)", positiveInteger('--concurrency'), os.availableParallelism())
    .option('--strict', 'exit 1 when any check of any family failed, expected or not, gated or not')
    .option('--summary <file>', 'append a Markdown summary of the verdicts and failing schedules (also to $GITHUB_STEP_SUMMARY when set)')
    .option('-q, --quiet', 'print only the summary')
    .action(async (files: string[], options) => {
      const { runCommand } = await import('./commands/run.js');
      process.exitCode = await runCommand(files, options, process.stdout);
    });

  program
    .command('explore')
    .description('property-based exploration: random fault and retry schedules; a failure is shrunk to the smallest schedule')
    .argument('<scenario>', 'a scenario file')
    .option('--runs <n>', 'random cases to try', positiveInteger('--runs'), 100)
    .option('--seed <n>', 'the seed: same seed, same schedules', integer('--seed'), 1)
    .option('--concurrency <n>', "cases run at once (results do not depend on it; default: the machine's cores)", positiveInteger('--concurrency'), os.availableParallelism())
    .option('--shard <i/n>', "run only this shard's share of the seed's cases (for CI machines)")
    .option('--check <name...>', 'look only for failures of these checks (default: all the scenario runs)')
    .option('--max-failures <n>', 'stop drawing cases once this many distinct checks failed (default: run them all)', positiveInteger('--max-failures'))
    .option('--reports <dir>', 'where run folders are written', 'reports')
    .option('--summary <file>', 'append a Markdown summary of the verdicts and failing schedules (also to $GITHUB_STEP_SUMMARY when set)')
    .option('-q, --quiet', 'no progress line')
    .action(async (file: string, options) => {
      const { exploreCommand } = await import('./commands/explore.js');
      process.exitCode = await exploreCommand(file, options, process.stdout);
    });

  program
    .command('replay')
    .description('run a recorded case (or a hand-written schedule) again, exactly, and compare')
    .argument('[report]', "a run's report.json or run folder")
    .option('--case <id>', 'the case to replay (default: the minimal explored failure, else the first failed case)')
    .option('--schedule <file>', 'a hand-written schedule (YAML/JSON) instead of a recorded case')
    .option('--scenario <file>', 'the scenario to run it against (default: the one the report names)')
    .option('--har <file>', "a HAR recording of an incident: answers for the scenario's model: har upstreams, and (without --schedule) the case: --fault on its first mutating request")
    .option('--fault <name>', 'with --har: the fault you suspect hit the recorded request', 'timeout-after-commit')
    .option('--reports <dir>', 'where run folders are written', 'reports')
    .option('-q, --quiet', 'print only whether it reproduced, not the checks')
    .action(async (report: string | undefined, options) => {
      const { replayCommand } = await import('./commands/replay.js');
      process.exitCode = await replayCommand(report, options, process.stdout);
    });

  program
    .command('merge')
    .description('combine the run folders of `explore --shard I/N` into one report')
    .argument('<run-dir...>', "the shards' run folders")
    .requiredOption('--out <dir>', 'the merged run folder')
    .action(async (dirs: string[], options: { out: string }) => {
      const { mergeExploreReports } = await import('../explore/merge.js');
      const { displayPath } = await import('../report/command-line.js');
      const merged = mergeExploreReports(dirs, options.out);
      process.stdout.write(`merged ${dirs.length} shards: ${merged.explore.executed} cases, ${merged.failedChecks.length ? `failed: ${merged.failedChecks.join(', ')}` : 'every check held'}\n${merged.explore.reproduce ? `reproduce: ${merged.explore.reproduce}\n` : ''}report: ${displayPath(merged.runDir)}\n`);
      process.exitCode = merged.unexpectedFailures.length > 0 ? 1 : 0;
    });

  program
    .command('report')
    .description("render a run's report.html and junit.xml again from its report.json and ledger.sqlite")
    .argument('<run-dir>', 'a run folder: reports/<scenario>/<run-id>')
    .action(async (runDir: string) => {
      const { reportCommand } = await import('./commands/report.js');
      process.exitCode = await reportCommand(runDir, process.stdout);
    });

  program
    .command('show')
    .description("print a case's timeline from a run's ledger: invocations, upstream requests, faults, commits")
    .argument('<run-dir>', 'a run folder: reports/<scenario>/<run-id>')
    .requiredOption('--case <id>', 'the case, as report.json names it')
    .action(async (runDir: string, options) => {
      const { showCommand } = await import('./commands/show.js');
      process.exitCode = await showCommand(runDir, options, process.stdout);
    });

  program
    .command('init')
    .description('write a commented starter scenario for a command (init -- CMD ARGS...) or an HTTP API (init --http CMD)')
    .argument('[command...]', 'the command line of the tool to test, after --')
    .option('--http <command>', 'the command that starts an HTTP API (it gets a free port in --port-env)')
    .option('--port-env <name>', 'the variable the API reads its port from', 'PORT')
    .option('--url-env <name>', "the variable the target reads its upstream API's base URL from", 'API_URL')
    .option('--out <file>', 'where to write the scenario', 'retryproof.yaml')
    .option('--force', 'overwrite --out if it exists')
    .action(async (command: string[], options) => {
      const { initCommand } = await import('./commands/init.js');
      process.exitCode = await initCommand(command, options, process.stdout);
    });

  program
    .command('schema')
    .description('print the JSON Schema of scenario files')
    .action(async () => {
      const { scenarioJsonSchema } = await import('../scenario/schema.js');
      process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; every other parse problem is bad input.
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    if (isRetryproofError(error)) {
      process.stderr.write(`retryproof: ${error.describe()}\n`);
      return EXIT.badInput;
    }
    throw error;
  }
}

main(process.argv).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`retryproof: internal error (a bug in retryproof, please report it): ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 70;
  },
);
