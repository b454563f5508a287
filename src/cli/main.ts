#!/usr/bin/env node
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
    .option('--concurrency <n>', 'cases run at once, each with its own upstreams (results do not depend on it)', positiveInteger('--concurrency'), 1)
    .option('--strict', 'count checks a scenario expects to fail as failures too')
    .option('-q, --quiet', 'print only the summary')
    .action(async (files: string[], options) => {
      const { runCommand } = await import('./commands/run.js');
      process.exitCode = await runCommand(files, options, process.stdout);
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
