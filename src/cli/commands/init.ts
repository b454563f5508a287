import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RetryproofError } from '../../errors.js';
import { starterScenario } from '../../init/starter.js';
import { cliInvocation, displayPath } from '../../report/command-line.js';
import { EXIT } from '../exit-codes.js';

export interface InitCommandOptions {
  http?: string;
  portEnv: string;
  urlEnv: string;
  out: string;
  force?: boolean;
}

/** `retryproof init -- CMD ARGS...` or `retryproof init --http 'CMD'`: writes a starter scenario. */
export async function initCommand(command: string[], options: InitCommandOptions, out: NodeJS.WritableStream): Promise<number> {
  if (options.http !== undefined && command.length > 0) {
    throw new RetryproofError('BAD_ARGUMENT', 'init takes either a command after -- or --http, not both', { field: '--http' }, 'a command line tool: init -- ./bin/tool ARGS; an HTTP API: init --http "node server.js"');
  }
  if (options.http === undefined && command.length === 0) {
    throw new RetryproofError('BAD_ARGUMENT', 'init needs the command to test after --, or --http', { field: 'init' }, "e.g. retryproof init -- ./bin/tool charge --amount 5, or retryproof init --http 'node server.js'");
  }
  const file = path.resolve(options.out);
  if (existsSync(file) && !options.force) {
    throw new RetryproofError('BAD_ARGUMENT', `${displayPath(file)} exists already`, { file, field: '--out' }, 'choose another file with --out, or overwrite it with --force');
  }
  const text = starterScenario({ command, http: options.http, portEnv: options.portEnv, urlEnv: options.urlEnv, file });
  writeFileSync(file, text);
  out.write(`wrote ${displayPath(file)}\nrun it:    ${cliInvocation()} run ${displayPath(file)}\nthen edit: the TODO comments in it (the upstream's path, how the key is passed)\n`);
  return EXIT.ok;
}
