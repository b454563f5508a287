import path from 'node:path';
import { parse as parseShell } from 'shell-quote';
import { RetryproofError } from '../errors.js';
import { parseScenario } from '../scenario/load.js';

/**
 * `retryproof init`: a commented starter scenario that runs as written against
 * a built-in upstream, for a command (`init -- ./bin/tool charge --amount 5`)
 * or an HTTP API the harness starts (`init --http 'node server.js'`). The
 * comments say what to edit next; the harness validates the text before it is
 * written, so a starter is never a broken file.
 */
export interface StarterOptions {
  /** The command line of a command target: program and arguments. */
  command?: readonly string[];
  /** The command line that starts an HTTP API, as one string (split like a shell would, without one). */
  http?: string;
  /** The variable the API reads its port from (http). */
  portEnv: string;
  /** The variable the target reads the upstream's base URL from. */
  urlEnv: string;
  /** Where the starter will be written: anchors the validation's relative paths. */
  file: string;
}

/** The starter's YAML text, validated. */
export function starterScenario(options: StarterOptions): string {
  const text = options.http !== undefined ? httpStarter(splitCommand(options.http), options) : commandStarter(options.command ?? [], options);
  // A starter that does not load is a bug here, not the user's: say so plainly.
  parseScenario(text, path.resolve(options.file));
  return text;
}

/** Splits a command line like a shell, without one; operators (&&, |, >) are refused. */
export function splitCommand(line: string): string[] {
  const words = parseShell(line);
  const bad = words.find((word) => typeof word !== 'string');
  if (bad !== undefined || words.length === 0) {
    throw new RetryproofError(
      'BAD_ARGUMENT',
      words.length === 0 ? '--http needs the command that starts the API' : `--http takes one command, without shell operators (found ${JSON.stringify(bad)})`,
      { field: '--http' },
      "e.g. --http 'node server.js'; put anything more in a script and start that",
    );
  }
  return words as string[];
}

const q = (value: string): string => JSON.stringify(value);
const list = (values: readonly string[]): string => `[${values.map(q).join(', ')}]`;

/** A name for the scenario: the program's base name and the first word argument. */
function scenarioName(program: string, args: readonly string[]): string {
  const base = path.basename(program).replace(/\.[a-z]+$/i, '');
  const word = args.find((arg) => /^[a-z][\w-]*$/i.test(arg));
  return [base, word].filter(Boolean).join('-').replace(/[^\w-]/g, '-').replace(/^[^a-z0-9]+/i, '').toLowerCase() || 'starter';
}

const FAULTS = `# What goes wrong upstream, each at request 1 (depth): answers lost after the work was
# done (timeout, 503, reset, the target killed) and failures before it.
faults: [none, 503-before-commit, 503-after-commit, timeout-after-commit, reset-after-commit, crash-after-commit]
depth: 1`;

const UPSTREAM = (urlEnv: string) => `# The mock upstream your target talks to instead of the real API: retryproof serves it on
# 127.0.0.1 and records every side effect in the ledger. \`resource\`: POST <path> creates a
# record, and with honoursIdempotencyKey a repeated Idempotency-Key gets the first answer.
# TODO: path = the path your target posts to (relative to ${urlEnv}); noun = what one record is.
upstreams:
  api:
    model: resource
    path: /charges
    honoursIdempotencyKey: true
    noun: charge`;

const INTERPRETER = /^(node|nodejs|bun|deno|python\d*(\.\d+)?|ruby|perl|php|sh|bash|npx|tsx|ts-node|java)$/;

/** How many words name the program when the first is an interpreter: its options, then the script (or -m module). */
function leadingProgram(command: readonly string[]): number {
  let i = 1;
  while (i < command.length && command[i]!.startsWith('-')) {
    // -m module, -jar file: the module is the script.
    if (/^-(m|jar)$/.test(command[i]!)) return Math.min(command.length, i + 2);
    i += 1;
  }
  return Math.min(command.length, i + 1);
}

function commandStarter(command: readonly string[], options: StarterOptions): string {
  if (command.length === 0) {
    throw new RetryproofError('BAD_ARGUMENT', 'init needs the command to test after --, or --http', { field: 'init' }, "e.g. retryproof init -- ./bin/tool charge --amount 5, or retryproof init --http 'node server.js'");
  }
  // An interpreter and its script are the program (node tool.mjs, python3 -m pkg, npx tsx cli.ts); the rest is the operation's.
  const programWords = INTERPRETER.test(path.basename(command[0]!)) ? leadingProgram(command) : 1;
  const argv = command.slice(0, programWords);
  const args = command.slice(programWords);
  const program = argv.at(-1)!;
  const name = scenarioName(program, args);
  const operation = args.find((arg) => /^[a-z][\w-]*$/i.test(arg)) ?? 'operation';
  return `# retryproof starter scenario, written by \`retryproof init\` for:
#   ${command.join(' ')}
# Run it as it is:   retryproof run ${path.basename(options.file)}   (or npx retryproof ...)
# Then work down the TODOs. Every field: retryproof schema, and the README.
name: ${q(name)}
target:
  kind: command
  argv: ${list(argv)}
  env:
    # TODO: the variable your tool reads its API's base URL from (retryproof's mock goes here).
    ${options.urlEnv}: "{{upstreams.api.url}}"
  # The harness kills an invocation that runs longer (a held answer makes a tool without a
  # timeout of its own hang: that is a finding, not a harness problem).
  timeoutMs: 10000
${UPSTREAM(options.urlEnv)}
operations:
  - name: ${q(operation)}
    # TODO: pass the caller's idempotency key the way your tool takes one, e.g. add
    # "--idempotency-key", "{{key}}" (the same key on every retry of one operation).
    args: ${list(args)}
# How the caller (a user, a job runner) uses your tool: retries after a failure or an
# unknown outcome with the same key, then runs the finished operation once more.
caller: { retries: 2, key: same, replay: true }
${FAULTS}
`;
}

function httpStarter(argv: readonly string[], options: StarterOptions): string {
  const name = scenarioName(argv.slice(1).find((arg) => !arg.startsWith('-')) ?? argv[0] ?? 'api', []);
  return `# retryproof starter scenario, written by \`retryproof init\` for an HTTP API started with:
#   ${argv.join(' ')}
# Run it as it is:   retryproof run ${path.basename(options.file)}   (or npx retryproof ...)
# Then work down the TODOs. Every field: retryproof schema, and the README.
name: ${q(name)}
target:
  kind: http
  start:
    argv: ${list(argv)}
    env:
      # A free port for each start; the API must listen on 127.0.0.1 at it.
      ${options.portEnv}: "{{port}}"
      # TODO: the variable your API reads its payment (or other) API's base URL from.
      ${options.urlEnv}: "{{upstreams.api.url}}"
      # A folder of the case's own, for state the API keeps on disk (a key store, SQLite).
      STATE_DIR: "{{case.dir}}"
    # TODO: a path that answers (below 500) once the API is ready.
    ready: { path: /, timeoutMs: 10000 }
    # A fresh API process per case, so cases never share state.
    restart: per-case
  timeoutMs: 10000
  # TODO: true if your API answers 400 to a request without Idempotency-Key, and marks a
  # replayed answer with Idempotent-Replayed: true (the IETF draft).
  requireKey: false
  replayedHeader: false
${UPSTREAM(options.urlEnv)}
operations:
  - name: create
    # TODO: the request that has a side effect (the harness adds the Idempotency-Key header).
    request: { method: POST, path: /, body: { amount: "{{input.amount}}" } }
    input: { amount: 100 }
caller: { retries: 2, key: same, replay: true }
${FAULTS}
`;
}
