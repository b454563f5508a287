/**
 * DESIGN.md, "Promises of the harness itself": bad input (scenario files,
 * schedule files, arguments) gets a clear message and exit status 2 — naming
 * the file, the field and the fix — and never a stack trace.
 *
 * The corpus is test/fixtures/bad-scenarios/: every file there is a scenario
 * with one defect, and says on its first line which field the message must
 * name (`# expect-field: operations[0].args[3]`). Files that cannot hold a
 * comment (JSON, the empty file) carry it in a sidecar `FILE.expect`.
 * Hand-written bad schedules are in its `schedules/` folder, with the valid
 * scenario they are replayed against.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it, type ExpectStatic } from 'vitest';
import { RetryproofError } from '../../src/errors.js';
import { loadScenario } from '../../src/scenario/load.js';
import { assertBuilt, BAD_SCENARIOS, cli, HOSTILE, NO_STACK, type CliResult } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-bad-input-'));
const tmp = path.join(dir, 'tmp');
const reports = path.join(dir, 'reports');
beforeAll(assertBuilt);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXPECT_LINE = /^# expect-field: (.+?)\s*$/;

/** The field a bad file's message must name: its first line, or its sidecar. */
function expectedField(file: string): string | undefined {
  const sidecar = `${file}.expect`;
  const text = existsSync(sidecar) ? readFileSync(sidecar, 'utf8') : readFileSync(file, 'utf8');
  return EXPECT_LINE.exec(text.split('\n')[0] ?? '')?.[1];
}

const corpus = readdirSync(BAD_SCENARIOS, { withFileTypes: true })
  .filter((entry) => entry.isFile() && /\.(ya?ml|json)$/i.test(entry.name))
  .map((entry) => entry.name)
  .sort();

/**
 * What the CLI prints for bad input is `retryproof: FILE: FIELD: message` and
 * then `  fix: ...`. The field must be named in the problem itself, not only
 * somewhere in the fix (a fix that mentions "target.cwd" does not make a
 * message about target.argv[0] right).
 */
function problemLine(stderr: string): string {
  return stderr.split('\n').find((line) => line.startsWith('retryproof: ')) ?? '';
}

function expectBadInput(expect: ExpectStatic, result: CliResult, mentions: { file?: string; field?: string; also?: string[] }): void {
  const shown = `exit ${result.status ?? result.signal}\n--- stderr\n${result.stderr}--- stdout\n${result.stdout.slice(0, 2000)}`;
  expect(result.status, shown).toBe(2);
  expect(result.stderr, shown).not.toContain(NO_STACK);
  expect(result.stderr.trim(), shown).not.toBe('');
  if (mentions.file) expect(result.stderr, shown).toContain(mentions.file);
  if (mentions.field) expect(problemLine(result.stderr), `the problem line names ${mentions.field}\n${shown}`).toContain(mentions.field);
  for (const text of mentions.also ?? []) expect(result.stderr, shown).toContain(text);
}

describe('the bad-scenario corpus', () => {
  it('holds at least 30 malformed scenarios, each naming the field its message must name', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    const missing = corpus.filter((name) => !expectedField(path.join(BAD_SCENARIOS, name)));
    expect(missing, 'files without an `# expect-field:` line (or FILE.expect sidecar)').toEqual([]);
  });
});

describe.concurrent('retryproof run BAD_FILE: exit 2, the file, the field, the fix, no stack trace', () => {
  it.for(corpus)('%s', { timeout: 90_000 }, async (name, { expect }) => {
    const file = path.join(BAD_SCENARIOS, name);
    const field = expectedField(file)!;
    const result = await cli(['run', file, '--reports', reports], { cwd: dir, tmp });
    expectBadInput(expect, result, { file, field });
    expect(result.stderr).toMatch(/\bfix\b/i);
  });
});

/** Valid near-twins of corpus files must load: a corpus file's message must be about its defect, not about a schema that refuses valid input. */
describe('the valid twins of corpus files load', () => {
  const base = {
    target: { kind: 'command', argv: ['node', 'tool.mjs'] },
    upstreams: { payments: { model: 'resource', path: '/charges' } },
    operations: [{ name: 'create-order' }],
  };
  const load = (extra: Record<string, unknown>): unknown => {
    const file = path.join(dir, `twin-${Object.keys(extra).join('-')}.yaml`);
    writeFileSync(file, YAML.stringify({ ...base, ...extra }));
    try {
      return loadScenario(file);
    } catch (error) {
      return error instanceof RetryproofError ? error.describe() : error;
    }
  };

  it('faultParams for one fault (DESIGN: {"429-retry-after": {retryAfterSeconds: 1}, slow: {delayMs: 100}})', () => {
    const loaded = load({ faultParams: { '429-retry-after': { retryAfterSeconds: 1 }, slow: { delayMs: 100 } } });
    expect(loaded, String(loaded)).toMatchObject({ faultParams: { slow: { delayMs: 100 } } });
  });

  it('explore.weights for one fault', () => {
    const loaded = load({ explore: { weights: { slow: 0 } } });
    expect(loaded, String(loaded)).toMatchObject({ explore: { weights: { slow: 0 } } });
  });
});

describe.concurrent('retryproof replay --schedule BAD --scenario FILE: exit 2 naming the field', () => {
  const folder = path.join(BAD_SCENARIOS, 'schedules');
  const scenario = path.join(folder, 'scenario.yaml');
  const schedules = readdirSync(folder)
    .filter((name) => name !== 'scenario.yaml' && /\.ya?ml$/.test(name))
    .sort();

  it('the scenario the schedules run against is itself valid', ({ expect }) => {
    expect(() => loadScenario(scenario)).not.toThrow();
    expect(schedules.length).toBeGreaterThanOrEqual(5);
  });

  it.for(schedules)('%s', { timeout: 90_000 }, async (name, { expect }) => {
    const file = path.join(folder, name);
    const field = expectedField(file)!;
    expect(field, `${name} has no expect-field line`).toBeTruthy();
    const result = await cli(['replay', '--schedule', file, '--scenario', scenario, '--reports', reports], { cwd: dir, tmp });
    expectBadInput(expect, result, { file, field });
    expect(result.stderr).toMatch(/\bfix\b/i);
  });
});

describe.concurrent('bad command-line arguments: exit 2 with a message', { timeout: 90_000 }, () => {
  /** A valid scenario over a real, quick target: if an argument is wrongly accepted, the run still ends fast. */
  function validScenario(name: string, extra: Record<string, unknown> = {}): string {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      YAML.stringify({
        name,
        target: {
          kind: 'command',
          argv: [process.execPath, path.join(HOSTILE, 'tiny-target.mjs')],
          env: { UPSTREAM_URL: '{{upstreams.payments.url}}', STATE_DIR: '{{case.dir}}/state', REQUEST_TIMEOUT_MS: '5000' },
          timeoutMs: 8_000,
        },
        upstreams: { payments: { model: 'resource', path: '/charges', honoursIdempotencyKey: true } },
        operations: [{ name: 'charge', args: ['safe', '--key', '{{key}}', '--amount', '{{input.amount}}'], input: { amount: 5 } }],
        faults: ['none', '503-after-commit'],
        depth: 1,
        checks: ['no-duplicate-effects', 'exit-codes'],
        probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false },
        ...extra,
      }),
    );
    return file;
  }
  /** A folder that exists but is not a run folder. */
  const notARun = (): string => {
    const folder = path.join(dir, 'not-a-run');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'notes.txt'), 'hello\n');
    return folder;
  };
  const run = (args: string[]): Promise<CliResult> => cli(args, { cwd: dir, tmp });

  it('run: an unknown flag', async ({ expect }) => {
    expectBadInput(expect, await run(['run', validScenario('args-unknown-flag'), '--bogus']), { also: ['--bogus'] });
  });
  it('run: --depth abc', async ({ expect }) => {
    expectBadInput(expect, await run(['run', validScenario('args-depth'), '--depth', 'abc']), { also: ['--depth', 'abc'] });
  });
  it('run: --concurrency 0', async ({ expect }) => {
    expectBadInput(expect, await run(['run', validScenario('args-concurrency'), '--concurrency', '0']), { also: ['--concurrency'] });
  });
  it('run: a --reports folder that cannot be created', async ({ expect }) => {
    const file = validScenario('args-reports');
    const blocker = path.join(dir, 'a-file-not-a-folder');
    writeFileSync(blocker, 'x');
    expectBadInput(expect, await run(['run', file, '--reports', path.join(blocker, 'reports')]), { also: ['--reports', blocker] });
  });
  it('explore: --runs 0', async ({ expect }) => {
    expectBadInput(expect, await run(['explore', validScenario('args-runs'), '--runs', '0']), { also: ['--runs'] });
  });
  it('explore: --shard 3/2', async ({ expect }) => {
    expectBadInput(expect, await run(['explore', validScenario('args-shard'), '--shard', '3/2', '--runs', '2']), { field: '--shard', also: ['3/2'] });
  });
  it('explore: --check not-a-check', async ({ expect }) => {
    expectBadInput(expect, await run(['explore', validScenario('args-check'), '--check', 'not-a-check', '--runs', '2']), { field: '--check', also: ['not-a-check'] });
  });
  it('explore: --check naming a real check the scenario does not run', async ({ expect }) => {
    expectBadInput(expect, await run(['explore', validScenario('args-check-not-run'), '--check', 'replay-is-noop', '--runs', '2']), { field: '--check', also: ['replay-is-noop'] });
  });
  it('explore: a scenario whose operations talk to no upstream (nothing to explore)', async ({ expect }) => {
    const file = path.join(dir, 'nothing-to-explore.yaml');
    writeFileSync(
      file,
      YAML.stringify({
        target: { kind: 'command', argv: [process.execPath, path.join(HOSTILE, 'echo-argv.mjs')], timeoutMs: 8_000 },
        upstreams: { payments: { model: 'resource' } },
        operations: [{ name: 'op', args: ['x'] }],
        faults: ['none', '503-after-commit'],
        depth: 1,
      }),
    );
    expectBadInput(expect, await run(['explore', file, '--runs', '2', '--reports', reports]), { file, also: ['upstream'] });
  });
  it('report: a folder that is not a run', async ({ expect }) => {
    const folder = notARun();
    expectBadInput(expect, await run(['report', folder]), { file: folder, also: ['report.json'] });
  });
  it('report: a run folder whose report.json is broken', async ({ expect }) => {
    const folder = path.join(dir, 'broken-run');
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'report.json'), '{"schemaVersion": 1, "cases": [');
    writeFileSync(path.join(folder, 'ledger.sqlite'), 'not a database');
    expectBadInput(expect, await run(['report', folder]), { file: path.join(folder, 'report.json'), also: ['JSON'] });
  });
  it('replay: a folder that is not a run', async ({ expect }) => {
    const folder = notARun();
    expectBadInput(expect, await run(['replay', folder, '--reports', reports]), { file: folder });
  });
  it('replay: nothing to replay', async ({ expect }) => {
    expectBadInput(expect, await run(['replay', '--reports', reports]), {});
  });
  it('merge: folders that are not runs', async ({ expect }) => {
    const folder = notARun();
    expectBadInput(expect, await run(['merge', folder, '--out', path.join(dir, 'merged')]), { file: folder });
  });
});
