import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { RetryproofError, type ErrorCode } from '../../src/errors.js';
import { FAULT_NAMES } from '../../src/faults/registry.js';
import { CHECK_NAMES } from '../../src/core/check-names.js';
import { loadScenario, parseScenario } from '../../src/scenario/load.js';
import { scenarioJsonSchema } from '../../src/scenario/schema.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-load-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));

let counter = 0;
function writeScenario(text: string, ext = 'yaml'): string {
  counter += 1;
  const file = path.join(dir, `scenario-${counter}.${ext}`);
  writeFileSync(file, text);
  return file;
}

/** A minimal valid scenario, as plain data to be broken one field at a time. */
function minimal(): Record<string, any> {
  return {
    target: { kind: 'command', argv: ['node', 'tool.mjs'], env: { PAYMENTS_URL: '{{upstreams.payments.url}}' } },
    upstreams: { payments: { model: 'resource', path: '/charges' } },
    operations: [
      {
        name: 'create-order',
        args: ['create-order', '--amount', '{{input.amount}}', '--key', '{{key}}'],
        input: { amount: 100 },
      },
    ],
  };
}

function loadError(file: string): RetryproofError {
  let caught: unknown;
  try {
    loadScenario(file);
  } catch (error) {
    caught = error;
  }
  expect(caught, 'loading should have thrown').toBeInstanceOf(RetryproofError);
  return caught as RetryproofError;
}

/** A message a person can act on: one line, no zod dump, no "[object Object]". */
function expectReadable(error: RetryproofError): void {
  expect(error.message).not.toMatch(/\[object Object\]|^\s*[[{]|"code":|undefined/);
  expect(error.message).not.toContain('\n');
  expect(error.message.length).toBeGreaterThan(10);
  expect(error.message.length).toBeLessThan(400);
  expect(error.fix).toBeTruthy();
  const described = error.describe();
  expect(described).toContain(error.where.file!);
  if (error.where.field) expect(described).toContain(error.where.field);
  expect(described).toContain('fix:');
}

function expectBad(
  mutate: (scenario: Record<string, any>) => void,
  expected: { code: ErrorCode; field: string; message: RegExp },
): RetryproofError {
  const scenario = minimal();
  mutate(scenario);
  const file = writeScenario(YAML.stringify(scenario));
  const error = loadError(file);
  expect(error.code).toBe(expected.code);
  expect(error.where.file).toBe(file);
  expect(error.where.field).toBe(expected.field);
  expect(error.message).toMatch(expected.message);
  expectReadable(error);
  return error;
}

describe('loadScenario: valid files', () => {
  it('loads a minimal YAML scenario with every default filled in', () => {
    const file = writeScenario(YAML.stringify(minimal()));
    const scenario = loadScenario(file);
    expect(scenario.name).toBe(path.basename(file, '.yaml'));
    expect(scenario.file).toBe(file);
    expect(scenario.dir).toBe(dir);
    expect(scenario.cwd).toBe(dir);
    // toMatchObject: other fields may be added; these defaults must hold.
    expect(scenario.target).toMatchObject({
      kind: 'command',
      argv: ['node', 'tool.mjs'],
      env: { PAYMENTS_URL: '{{upstreams.payments.url}}' },
      timeoutMs: 10_000,
      killGraceMs: 500,
      maxOutputBytes: 1_048_576,
    });
    expect(scenario.upstreams.payments).toMatchObject({
      model: 'resource',
      path: '/charges',
      honoursIdempotencyKey: false,
      clientRefField: 'ref',
      noun: 'record',
      ignoreFields: [],
    });
    expect(scenario.operations).toMatchObject([
      {
        name: 'create-order',
        args: ['create-order', '--amount', '{{input.amount}}', '--key', '{{key}}'],
        input: { amount: 100 },
        mutating: true,
      },
    ]);
    expect(scenario.caller).toMatchObject({ retries: 2, key: 'same', replay: true, delayMs: 0 });
    expect(scenario.depth).toBe(2);
    expect(scenario.holdLimitMs).toBe(10_000);
    expect(scenario.faults).toEqual([...FAULT_NAMES]);
    expect(scenario.checks).toEqual([...CHECK_NAMES]);
    expect(scenario.exitCodes).toEqual({ success: [0], failure: [1] });
    expect(scenario.expect).toEqual({ fail: [] });
  });

  it('loads the same scenario written as JSON, with the same result', () => {
    const yamlFile = writeScenario(YAML.stringify(minimal()));
    const jsonFile = writeScenario(JSON.stringify(minimal(), null, 2), 'json');
    const fromYaml = loadScenario(yamlFile);
    const fromJson = loadScenario(jsonFile);
    expect(fromJson.name).toBe(path.basename(jsonFile, '.json'));
    const { name: _a, file: _b, ...restYaml } = fromYaml;
    const { name: _c, file: _d, ...restJson } = fromJson;
    expect(restJson).toEqual(restYaml);
  });

  it('keeps explicit values, normalises scalar exit codes and resolves cwd from the file folder', () => {
    const scenario = minimal();
    Object.assign(scenario, {
      name: 'orders',
      target: { ...scenario.target, cwd: 'tools', timeoutMs: 1234 },
      upstreams: { ...scenario.upstreams, mailer: { model: 'mailer' } },
      caller: { retries: 0, key: 'fresh' },
      faults: ['none', 'reset-after-commit'],
      checks: ['replay-is-noop'],
      depth: 1,
      exitCodes: { success: 0, failure: [1, 75] },
      expect: { fail: ['replay-is-noop'] },
    });
    mkdirSync(path.join(dir, 'tools'), { recursive: true });
    const loaded = loadScenario(writeScenario(YAML.stringify(scenario), 'yml'));
    expect(loaded.name).toBe('orders');
    expect(loaded.cwd).toBe(path.join(dir, 'tools'));
    expect(loaded.target.timeoutMs).toBe(1234);
    expect(loaded.upstreams.mailer).toMatchObject({ model: 'mailer', path: '/messages', noun: 'email', ignoreFields: [] });
    expect(loaded.caller).toMatchObject({ retries: 0, key: 'fresh', replay: true, delayMs: 0 });
    expect(loaded.faults).toEqual(['none', 'reset-after-commit']);
    // A split check named the old way selects both halves.
    expect(loaded.checks).toEqual(['replay-commits-nothing', 'replay-is-noop']);
    expect(loaded.depth).toBe(1);
    expect(loaded.exitCodes).toEqual({ success: [0], failure: [1, 75] });
    expect(loaded.expect.fail).toEqual(['replay-is-noop']);
  });

  it('loads the bundled example scenarios', () => {
    for (const name of ['orders-naive.yaml', 'orders-safe.yaml']) {
      const scenario = loadScenario(path.join(SCENARIOS, name));
      expect(scenario.name).toBe(name.replace('.yaml', ''));
      expect(scenario.operations.map((op) => op.name)).toEqual(['create-order', 'send-email']);
    }
  });

  it('accepts every plain template name', () => {
    const scenario = minimal();
    scenario.operations[0].args = ['{{key}}', '{{ operation }}', '{{case.dir}}/state', '{{input.amount}}', '{{upstreams.payments.url}}'];
    expect(() => loadScenario(writeScenario(YAML.stringify(scenario)))).not.toThrow();
  });
});

describe('loadScenario: bad input names the file, the field and the fix', () => {
  it('a YAML syntax error, with its line', () => {
    const file = writeScenario('target:\n  kind: command\n  argv: [node, tool.mjs\nupstreams: {}\n');
    const error = loadError(file);
    expect(error.code).toBe('SCENARIO_SYNTAX');
    expect(error.where.file).toBe(file);
    expect(error.where.field).toMatch(/^line 4\b/);
    expect(error.message).toMatch(/YAML/);
    expectReadable(error);
  });

  it('a duplicated YAML key', () => {
    const file = writeScenario('target: 1\ntarget: 2\n');
    const error = loadError(file);
    expect(error.code).toBe('SCENARIO_SYNTAX');
    expect(error.where.field).toMatch(/^line 2\b/);
    expect(error.message).toMatch(/unique/i);
  });

  it('a JSON syntax error', () => {
    const file = writeScenario('{"target": {"kind": "command",}}', 'json');
    const error = loadError(file);
    expect(error.code).toBe('SCENARIO_SYNTAX');
    expect(error.where.file).toBe(file);
    expect(error.message).toMatch(/JSON/);
    expectReadable(error);
  });

  it('a file that is not a mapping', () => {
    const error = loadError(writeScenario('- just\n- a list\n'));
    expect(error.code).toBe('SCENARIO_INVALID');
    expectReadable(error);
  });

  it('an unknown fault name', () => {
    expectBad((s) => (s.faults = ['none', 'explode']), { code: 'SCENARIO_INVALID', field: 'faults[1]', message: /"explode".*503-after-commit/ });
  });

  it('an unknown check name', () => {
    expectBad((s) => (s.checks = ['no-such-check']), { code: 'SCENARIO_INVALID', field: 'checks[0]', message: /"no-such-check".*replay-is-noop/ });
  });

  it('an unknown check name in expect.fail', () => {
    expectBad((s) => (s.expect = { fail: ['bogus'] }), { code: 'SCENARIO_INVALID', field: 'expect.fail[0]', message: /"bogus"/ });
  });

  it('a value of the wrong type (retries: "three")', () => {
    expectBad((s) => (s.caller = { retries: 'three' }), { code: 'SCENARIO_INVALID', field: 'caller.retries', message: /number.*"three"|"three".*number/ });
  });

  it('a missing target', () => {
    expectBad((s) => delete s.target, { code: 'SCENARIO_INVALID', field: 'target', message: /missing/ });
  });

  it('argv given as a string', () => {
    expectBad((s) => (s.target.argv = 'node tool.mjs'), { code: 'SCENARIO_INVALID', field: 'target.argv', message: /array.*"node tool\.mjs"/ });
  });

  it('an empty argv', () => {
    expectBad((s) => (s.target.argv = []), { code: 'SCENARIO_INVALID', field: 'target.argv', message: /1/ });
  });

  it('a template naming an unknown upstream', () => {
    const error = expectBad((s) => (s.operations[0].args = ['create-order', '--url', '--x', '{{upstreams.paymnts.url}}']), {
      code: 'TEMPLATE_UNKNOWN',
      field: 'operations[0].args[3]',
      message: /"paymnts"/,
    });
    // It says what the choices were.
    expect(error.message).toContain('payments');
  });

  it('a template naming an unknown upstream in the target env', () => {
    expectBad((s) => (s.target.env = { MAILER_URL: '{{upstreams.mailer.url}}' }), {
      code: 'TEMPLATE_UNKNOWN',
      field: 'target.env.MAILER_URL',
      message: /"mailer"/,
    });
  });

  it('a template naming an unknown input', () => {
    expectBad((s) => (s.operations[0].args = ['create-order', '--amount', '{{input.amout}}']), {
      code: 'TEMPLATE_UNKNOWN',
      field: 'operations[0].args[2]',
      message: /"amout".*amount/,
    });
  });

  it('an unknown template name', () => {
    expectBad((s) => (s.operations[0].args = ['{{idempotency_key}}']), { code: 'TEMPLATE_UNKNOWN', field: 'operations[0].args[0]', message: /idempotency_key/ });
  });

  it('a negative timeoutMs', () => {
    expectBad((s) => (s.target.timeoutMs = -5), { code: 'SCENARIO_INVALID', field: 'target.timeoutMs', message: /-5/ });
  });

  it('duplicate operation names', () => {
    expectBad((s) => s.operations.push({ name: 'create-order' }), {
      code: 'SCENARIO_INVALID',
      field: 'operations[1].name',
      message: /duplicate.*"create-order"/,
    });
  });

  it('an operation name with spaces', () => {
    expectBad((s) => (s.operations[0].name = 'create order'), { code: 'SCENARIO_INVALID', field: 'operations[0].name', message: /"create order"/ });
  });

  it('an unknown top-level field (where.field is the field itself)', () => {
    expectBad((s) => (s.retires = 3), { code: 'SCENARIO_INVALID', field: 'retires', message: /unknown field "retires"/ });
  });

  it('an unknown nested field (where.field is the field itself)', () => {
    expectBad((s) => (s.caller = { retires: 3 }), { code: 'SCENARIO_INVALID', field: 'caller.retires', message: /unknown field "retires"/ });
  });

  it('an empty operations list', () => {
    expectBad((s) => (s.operations = []), { code: 'SCENARIO_INVALID', field: 'operations', message: /\[\].*1/ });
  });

  it('no upstreams', () => {
    expectBad((s) => (s.upstreams = {}), { code: 'SCENARIO_INVALID', field: 'upstreams', message: /upstream/ });
  });

  it('an unknown upstream model', () => {
    expectBad((s) => (s.upstreams.payments.model = 'queue'), { code: 'SCENARIO_INVALID', field: 'upstreams.payments.model', message: /resource/ });
  });

  it('depth out of range', () => {
    expectBad((s) => (s.depth = 0), { code: 'SCENARIO_INVALID', field: 'depth', message: /0/ });
  });

  it('a file that does not exist', () => {
    const file = path.join(dir, 'no-such-scenario.yaml');
    const error = loadError(file);
    expect(error.code).toBe('SCENARIO_UNREADABLE');
    expect(error.where.file).toBe(file);
    expect(error.message).toContain('ENOENT');
    expectReadable(error);
  });

  it('counts further problems without hiding the first', () => {
    const scenario = minimal();
    scenario.caller = { retries: 'three' };
    scenario.depth = 'deep';
    const error = loadError(writeScenario(YAML.stringify(scenario)));
    expect(error.message).toMatch(/and 1 more problem/);
  });
});

describe('parseScenario', () => {
  it('names the given file in errors without touching the disk', () => {
    expect(() => parseScenario('operations: []\n', 'in-memory.yaml')).toThrow(RetryproofError);
    try {
      parseScenario('operations: []\n', 'in-memory.yaml');
    } catch (error) {
      expect((error as RetryproofError).where.file).toBe('in-memory.yaml');
    }
  });
});

describe('scenarioJsonSchema', () => {
  it('describes the top-level fields', () => {
    const schema = scenarioJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['target', 'upstreams', 'operations', 'caller', 'faults', 'checks', 'expect']));
    expect(schema.required).toEqual(expect.arrayContaining(['target', 'upstreams', 'operations']));
  });
});

describe('loadScenario: http targets', () => {
  const http = (scenario: Record<string, any>, start: Record<string, unknown>) => {
    scenario.target = { kind: 'http', start: { argv: ['node', 'api.mjs', '--port', '{{port}}'], ...start } };
    scenario.operations[0] = { name: 'create-order', request: { method: 'POST', path: '/orders', body: { amount: '{{input.amount}}' } }, input: { amount: 100 } };
  };

  it('accepts {{port}} and upstream URLs where the API is started', () => {
    const scenario = minimal();
    http(scenario, { env: { PAYMENTS_URL: '{{upstreams.payments.url}}' } });
    const loaded = parseScenario(YAML.stringify(scenario), path.join(dir, 'http-ok.yaml'));
    expect(loaded.target.kind).toBe('http');
  });

  it('refuses a per-request value where the API is started, naming the field', () => {
    expectBad((scenario) => http(scenario, { env: { KEY: '{{key}}' } }), {
      code: 'TEMPLATE_UNKNOWN',
      field: 'target.start.env.KEY',
      message: /\{\{key\}\} has no value when the API starts/,
    });
  });
});
