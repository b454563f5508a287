import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, killPids, liveInGroup, liveWithEnv, readJsonIfPresent, waitFor } from '../targets/proc-table.js';

/**
 * The CLI end to end, as a user or CI runs it: `node dist/cli/main.js`.
 * Exit status: 0 every check held, 1 a check failed, 2 bad input or configuration.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'dist/cli/main.js');
const HOSTILE = path.join(ROOT, 'test/fixtures/hostile');
const TOKEN_VAR = 'RETRYPROOF_TEST_TOKEN';
const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-cli-test-'));
const reports = path.join(dir, 'reports');

/** Builds dist/ unless it is newer than every file in src/ (`npm test` builds first anyway). */
function newestMtime(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

beforeAll(() => {
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newestMtime(path.join(ROOT, 'src'))) return;
  const build = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  // tsc still emits on type errors; only a missing CLI makes these tests meaningless.
  if (!existsSync(CLI)) throw new Error(`npm run build did not produce ${CLI}:\n${build.stdout}${build.stderr}`);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The CLI's own temporary folders (case folders) go under the test's folder, so nothing litters /tmp. */
const cliTmp = path.join(dir, 'tmp');
mkdirSync(cliTmp);

function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', TMPDIR: cliTmp };
  for (const name of Object.keys(env)) if (name.startsWith('VITEST') || name === 'NODE_OPTIONS') delete env[name];
  return env;
}

/** Runs the CLI to its end (or kills it after `timeoutMs`). */
function cli(args: string[], timeoutMs = 110_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

const NO_STACK = '    at ';

/** A bad-input failure: exit 2, a message on stderr, never a stack trace. */
function expectBadInput(result: CliResult, ...mentions: string[]): void {
  expect(result.status, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(2);
  expect(result.stderr).not.toContain(NO_STACK);
  expect(result.stderr.trim().length).toBeGreaterThan(0);
  for (const text of mentions) expect(result.stderr).toContain(text);
}

let counter = 0;
function scenarioFile(content: Record<string, unknown> | string, ext = 'yaml'): string {
  counter += 1;
  const file = path.join(dir, `scenario-${counter}.${ext}`);
  writeFileSync(file, typeof content === 'string' ? content : YAML.stringify(content));
  return file;
}

/** A scenario over tiny-target.mjs: one operation, `faults: [none]`, depth 1, so a run takes about a second. */
function tinyScenario(mode: 'safe' | 'naive', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    target: {
      kind: 'command',
      argv: [process.execPath, path.join(HOSTILE, 'tiny-target.mjs')],
      // A generous client timeout: a loaded machine must not change the verdict.
      env: { UPSTREAM_URL: '{{upstreams.payments.url}}', STATE_DIR: '{{case.dir}}/state', REQUEST_TIMEOUT_MS: '10000' },
      timeoutMs: 5_000,
    },
    upstreams: { payments: { model: 'resource', path: '/charges', honoursIdempotencyKey: true, noun: 'charge' } },
    operations: [{ name: 'charge', args: [mode, '--key', '{{key}}', '--amount', '{{input.amount}}'], input: { amount: 5 } }],
    faults: ['none'],
    depth: 1,
    // The checks this tiny target is judged on (others may be added to the catalog over time).
    checks: ['no-duplicate-effects', 'no-lost-effects', 'replay-is-noop', 'exit-codes', 'effect-field'],
    ...extra,
  };
}

describe.concurrent('retryproof: usage', () => {
  it('`schema` prints a JSON Schema of scenario files', async ({ expect }) => {
    const result = await cli(['schema']);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const schema = JSON.parse(result.stdout) as { $schema?: string; type?: string; properties: Record<string, unknown> };
    expect(schema.type).toBe('object');
    expect(schema.$schema).toMatch(/json-schema/);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['target', 'upstreams', 'operations']));
  });

  it('`--help` exits 0 and lists the commands', async ({ expect }) => {
    const result = await cli(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/\brun\b/);
    expect(result.stdout).toMatch(/\bschema\b/);
  });

  it('`run --help` exits 0 and lists its options', async ({ expect }) => {
    const result = await cli(['run', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--depth');
    expect(result.stdout).toContain('--strict');
  });

  it('`--version` prints the package version', async ({ expect }) => {
    const result = await cli(['--version']);
    expect(result.status).toBe(0);
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(result.stdout.trim()).toBe(version);
  });

  it('an unknown flag exits 2 and names it', async () => {
    const file = scenarioFile(tinyScenario('safe'));
    expectBadInput(await cli(['run', file, '--bogus']), '--bogus');
  });

  it('`--depth abc` exits 2 and says what --depth takes', async () => {
    const file = scenarioFile(tinyScenario('safe'));
    expectBadInput(await cli(['run', file, '--depth', 'abc']), '--depth', 'abc');
  });

  it('`--depth 0` exits 2', async () => {
    const file = scenarioFile(tinyScenario('safe'));
    expectBadInput(await cli(['run', file, '--depth', '0']), '--depth');
  });

  it('an unknown command exits 2', async () => {
    expectBadInput(await cli(['frobnicate']), 'frobnicate');
  });

  it('`run` without a scenario exits 2', async () => {
    expectBadInput(await cli(['run']), 'scenario');
  });
});

describe.concurrent('retryproof run: bad scenarios exit 2 with file, field and fix', () => {
  it('a scenario file that does not exist', async () => {
    const file = path.join(dir, 'no-such-scenario.yaml');
    const result = await cli(['run', file, '--reports', reports]);
    expectBadInput(result, file);
    expect(result.stderr).toMatch(/fix/i);
  });

  it('a field of the wrong type', async () => {
    const file = scenarioFile(tinyScenario('safe', { caller: { retries: 'three' } }));
    const result = await cli(['run', file, '--reports', reports]);
    expectBadInput(result, file, 'caller.retries', '"three"');
    expect(result.stderr).toMatch(/fix/i);
  });

  it('a template naming an unknown upstream', async () => {
    const broken = tinyScenario('safe');
    (broken.operations as Array<{ args: string[] }>)[0]!.args = ['safe', '--key', '{{key}}', '{{upstreams.paymnts.url}}'];
    const file = scenarioFile(broken);
    const result = await cli(['run', file, '--reports', reports]);
    expectBadInput(result, file, 'operations[0].args[3]', 'paymnts');
    expect(result.stderr).toMatch(/fix/i);
  });

  it('a YAML syntax error, with its line', async () => {
    const file = scenarioFile('target:\n  kind: command\n  argv: [node, x.mjs\nupstreams: {}\n');
    const result = await cli(['run', file, '--reports', reports]);
    expectBadInput(result, file, 'line 4');
    expect(result.stderr).toMatch(/fix/i);
  });

  it('a broken second file: nothing runs at all', async () => {
    const good = scenarioFile(tinyScenario('safe', { name: 'validated-first' }));
    const bad = scenarioFile(tinyScenario('safe', { faults: ['explode'] }));
    const result = await cli(['run', good, bad, '--reports', reports]);
    expectBadInput(result, bad, 'faults[0]', 'explode');
    expect(existsSync(path.join(reports, 'validated-first'))).toBe(false);
  });

  it('a target program that does not exist', async () => {
    const broken = tinyScenario('safe', { name: 'no-such-program' });
    (broken.target as { argv: string[] }).argv = ['retryproof-no-such-program-42'];
    const file = scenarioFile(broken);
    const result = await cli(['run', file, '--reports', reports]);
    expectBadInput(result, file, 'target.argv[0]', 'retryproof-no-such-program-42');
    expect(result.stderr).toMatch(/fix/i);
  });
});

describe.concurrent('retryproof run: verdicts', { timeout: 120_000 }, () => {
  it('a passing scenario exits 0 and writes its report', async ({ expect }) => {
    const file = scenarioFile(tinyScenario('safe', { name: 'tiny-safe' }));
    const result = await cli(['run', file, '--reports', reports]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).not.toContain(NO_STACK);
    expect(result.stdout).toMatch(/PASS/);
    const runs = readdirSync(path.join(reports, 'tiny-safe'));
    expect(runs).toHaveLength(1);
    const report = JSON.parse(readFileSync(path.join(reports, 'tiny-safe', runs[0]!, 'report.json'), 'utf8')) as Record<string, unknown>;
    expect(report).toBeTypeOf('object');
  });

  it('a failing scenario exits 1 and names the failed checks', async ({ expect }) => {
    const file = scenarioFile(tinyScenario('naive'));
    const result = await cli(['run', file, '--reports', reports]);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).not.toContain(NO_STACK);
    expect(result.stdout).toMatch(/FAIL/);
    expect(result.stdout).toContain('no-duplicate-effects');
    expect(result.stdout).toContain('replay-is-noop');
  });

  it('a failing scenario whose `expect.fail` matches exits 0', async ({ expect }) => {
    const file = scenarioFile(tinyScenario('naive', { expect: { fail: ['no-duplicate-effects', 'replay-is-noop'] } }));
    const result = await cli(['run', file, '--reports', reports]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('… and exits 1 with --strict', async ({ expect }) => {
    const file = scenarioFile(tinyScenario('naive', { expect: { fail: ['no-duplicate-effects', 'replay-is-noop'] } }));
    const result = await cli(['run', file, '--reports', reports, '--strict']);
    expect(result.status, result.stdout + result.stderr).toBe(1);
  });

  it('a failing scenario whose `expect.fail` lists only some of the failures exits 1', async ({ expect }) => {
    const file = scenarioFile(tinyScenario('naive', { expect: { fail: ['replay-is-noop'] } }));
    const result = await cli(['run', file, '--reports', reports]);
    expect(result.status, result.stdout + result.stderr).toBe(1);
  });
});

describe('retryproof replay: exit status (issue 14)', () => {
  it('exits 1 when the replay does not reproduce the recording, and -q prints only that', async () => {
    // The tool keeps its key store in a folder that outlives the case: replayed, it answers
    // from the store without calling the upstream, so the requests differ from the recording.
    const state = path.join(dir, `shared-state-${randomUUID()}`);
    const scenario = tinyScenario('safe', { name: 'tiny-replay' });
    (scenario.target as { env: Record<string, string> }).env.STATE_DIR = state;
    const file = scenarioFile(scenario);
    const run = await cli(['run', file, '--reports', reports, '--concurrency', '1']);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const runDir = path.join(reports, 'tiny-replay', readdirSync(path.join(reports, 'tiny-replay'))[0]!);
    const replay = await cli(['replay', runDir, '--case', 'charge/none', '--reports', reports, '-q']);
    expect(replay.stdout).toContain('DIFFERS from the recording');
    expect(replay.stdout).not.toContain('verdict');
    expect(replay.status, replay.stdout + replay.stderr).toBe(1);
  }, 120_000);
});

describe('retryproof run: interrupted', () => {
  interface PidFile {
    pid: number;
    children: number[];
  }

  it.each(['SIGINT', 'SIGTERM'] as const)('leaves no target process behind when the harness gets %s', async (signal) => {
    const token = randomUUID();
    const pidfile = path.join(dir, `interrupted-${token}.json`);
    const file = scenarioFile({
      target: {
        kind: 'command',
        argv: [process.execPath, path.join(HOSTILE, 'hang-with-children.mjs'), pidfile],
        env: { [TOKEN_VAR]: token },
        timeoutMs: 60_000,
      },
      upstreams: { payments: { model: 'resource' } },
      operations: [{ name: 'hang' }],
      faults: ['none'],
      depth: 1,
    });
    const child = spawn(process.execPath, [CLI, 'run', file, '--reports', reports], { cwd: dir, env: cliEnv(), stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      // The CLI loads and starts its upstreams first: at a load average of 12-15 that took more than 10 s.
      const pids = await waitFor(() => readJsonIfPresent<PidFile>(pidfile), 30_000, 'the target to start');
      expect(liveInGroup(pids.pid).length).toBeGreaterThanOrEqual(3);
      child.kill(signal);
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      expect(child.exitCode !== null || child.signalCode !== null, 'the CLI exits when interrupted').toBe(true);
      // Give an orderly shutdown a moment, then look at the process table.
      await waitFor(() => (liveWithEnv(TOKEN_VAR, token).length === 0 ? true : undefined), 2_000, 'the target processes to go').catch(() => undefined);
      expect(liveInGroup(pids.pid), 'target processes left after the harness was interrupted').toEqual([]);
      expect(pids.children.length, 'children the target reported').toBeGreaterThan(0);
      for (const pid of pids.children) expect(isAlive(pid)).toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      killPids(liveWithEnv(TOKEN_VAR, token).map((proc) => proc.pid));
    }
  }, 60_000);
});
