import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/runner/run-scenario.js';
import { loadScenario } from '../../src/scenario/load.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-baseline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A client that gives every attempt a fresh key and retries a lost answer.
 * Its first invocation of the run (a counter file) gives up on its first
 * request after 150 ms, while the upstream holds the committed charge's
 * answer: what a loaded machine makes a short client timeout do.
 */
const TOOL = `
import { readFileSync, writeFileSync } from 'node:fs';
const counter = process.env.COUNTER_FILE;
let n = 0;
try { n = Number(readFileSync(counter, 'utf8')); } catch {}
writeFileSync(counter, String(n + 1));
const [, , key] = process.argv;
// Load fetch first: its first use takes long enough on a busy machine to outlast a short timeout before anything is sent.
await fetch('http://127.0.0.1:1/').catch(() => {});
for (let attempt = 1; attempt <= 3; attempt += 1) {
  try {
    const response = await fetch(process.env.PAYMENTS_URL + '/charges', {
      method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key + '-' + attempt },
      body: '{"amount":100}', signal: AbortSignal.timeout(n === 0 && attempt === 1 ? 150 : 5000),
    });
    const body = await response.json();
    console.log(JSON.stringify({ effect: 'created', id: body.id }));
    process.exit(0);
  } catch { await new Promise((resolve) => setTimeout(resolve, 50)); }
}
process.exit(1);
`;

function scenarioFile(name: string): string {
  writeFileSync(path.join(dir, `${name}.mjs`), TOOL);
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'target:',
      '  kind: command',
      `  argv: [node, ${name}.mjs]`,
      `  env: { PAYMENTS_URL: "{{upstreams.payments.url}}", COUNTER_FILE: ${JSON.stringify(path.join(dir, `${name}.count`))} }`,
      'upstreams:',
      `  payments: { model: custom, module: ${JSON.stringify(path.resolve('test/fixtures/baseline/slow-payments.mjs'))}, baseUrl: "http://payments.test", noun: charge }`,
      'operations:',
      '  - { name: create-order, args: ["{{key}}"] }',
      'faults: [none]',
      'caller: { retries: 0, replay: false }',
      'probes: { concurrent: false, mismatch: false, dryRun: false, persistent: false }',
      'checks: [no-duplicate-effects]',
    ].join('\n'),
  );
  return file;
}

describe('the clean run', () => {
  it('is tried again when the target gave up on a healthy upstream, so its own retry is not taken as the reference', async () => {
    const result = await runScenario(loadScenario(scenarioFile('gives-up-once')), { reportsDir: path.join(dir, 'reports') });
    const [baseline] = result.baselines;
    // The first try committed a charge, gave up on its answer and charged again: it is discarded.
    expect(baseline!.discarded).toHaveLength(1);
    expect(baseline!.discarded![0]).toMatch(/^clean run 1: the target gave up on request 1 \(POST \/charges to payments, after \d+ ms\) of a healthy upstream$/);
    expect(baseline!.effects).toEqual({ 'payments POST /charges': 1 });
  }, 60_000);
});

describe('the clean run, when the target always gives up', () => {
  it('is no reference: exit-2 configuration error naming the operation and the fix', async () => {
    const file = scenarioFile('always-gives-up');
    // Every invocation gives up on its first request, not only the run's first.
    writeFileSync(path.join(dir, 'always-gives-up.mjs'), TOOL.replace('n === 0 && attempt === 1', 'attempt === 1'));
    await expect(runScenario(loadScenario(file), { reportsDir: path.join(dir, 'reports') })).rejects.toMatchObject({
      code: 'BASELINE_FAILED',
      message: expect.stringContaining('is no reference: in 3 tries the target gave up on a request to a healthy upstream'),
    });
  }, 60_000);
});

/**
 * A client whose own timeout fired while the answer was already on its way
 * leaves no abandoned request upstream, only the same write twice. This tool
 * does exactly that on the invocations named by TWICE (a counter file).
 */
const TWICE_TOOL = `
import { readFileSync, writeFileSync } from 'node:fs';
const counter = process.env.COUNTER_FILE;
let n = 0;
try { n = Number(readFileSync(counter, 'utf8')); } catch {}
writeFileSync(counter, String(n + 1));
const sends = process.env.TWICE === 'always' || n === 0 ? 2 : 1;
let body;
for (let i = 0; i < sends; i += 1) {
  const response = await fetch(process.env.PAYMENTS_URL + '/charges', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"amount":100}' });
  body = await response.json();
}
console.log(JSON.stringify({ effect: 'created', id: body.id }));
`;

function twiceScenario(name: string, twice: 'first' | 'always'): string {
  const file = scenarioFile(name);
  writeFileSync(path.join(dir, `${name}.mjs`), TWICE_TOOL);
  const yaml = readFileSync(file, 'utf8').replace('COUNTER_FILE:', `TWICE: ${twice}, COUNTER_FILE:`);
  writeFileSync(file, yaml);
  return file;
}

describe('the clean run, when the target sent a write twice with no fault', () => {
  it('is tried again, and the try that sent it once is the reference', async () => {
    const result = await runScenario(loadScenario(twiceScenario('twice-once', 'first')), { reportsDir: path.join(dir, 'reports') });
    const [baseline] = result.baselines;
    expect(baseline!.discarded).toEqual(['clean run 1: the target sent POST /charges to payments 2 times with no fault, a later try did not']);
    expect(baseline!.effects).toEqual({ 'payments POST /charges': 1 });
    expect(baseline!.requests).toBe(1);
  }, 60_000);

  it('keeps the repeated write when every try sends it: that is how the target works', async () => {
    const result = await runScenario(loadScenario(twiceScenario('twice-always', 'always')), { reportsDir: path.join(dir, 'reports') });
    const [baseline] = result.baselines;
    expect(baseline!.discarded).toEqual([
      'clean run 2: the target sent POST /charges to payments 2 times with no fault, an earlier try sent fewer requests',
      'clean run 3: the target sent POST /charges to payments 2 times with no fault, an earlier try sent fewer requests',
    ]);
    expect(baseline!.effects).toEqual({ 'payments POST /charges': 2 });
  }, 60_000);
});

/** TWICE_TOOL with a key store that outlives an invocation (a file: a module's memory, an API's store). */
const KEY_STORE_TOOL = TWICE_TOOL.replace(
  'const sends =',
  `const [, , key] = process.argv;
let known = {};
try { known = JSON.parse(readFileSync(process.env.STORE_FILE, 'utf8')); } catch {}
if (known[key]) { console.log(JSON.stringify({ effect: 'noop', id: known[key] })); process.exit(0); }
const sends =`,
).replace('console.log(JSON.stringify({ effect: \'created\'', `known[key] = body.id; writeFileSync(process.env.STORE_FILE, JSON.stringify(known));
console.log(JSON.stringify({ effect: 'created'`);

describe('the clean run, tried again, against a target that keeps its keys', () => {
  it('gives each try its own key, so the target does not answer the retried clean run from its store with no request (reference 0)', async () => {
    const name = 'twice-keyed';
    const file = twiceScenario(name, 'first');
    writeFileSync(path.join(dir, `${name}.mjs`), KEY_STORE_TOOL);
    writeFileSync(file, readFileSync(file, 'utf8').replace('COUNTER_FILE:', `STORE_FILE: ${JSON.stringify(path.join(dir, `${name}.store`))}, COUNTER_FILE:`));
    const result = await runScenario(loadScenario(file), { reportsDir: path.join(dir, 'reports') });
    const [baseline] = result.baselines;
    expect(baseline!.discarded).toEqual(['clean run 1: the target sent POST /charges to payments 2 times with no fault, a later try did not']);
    expect(baseline!.effects).toEqual({ 'payments POST /charges': 1 });
    expect(baseline!.requests).toBe(1);
  }, 60_000);
});

describe('a clean run that fails (issue 14, item 7)', () => {
  it('says why: exit status, the tail of stdout and stderr, the upstream requests and their answers; and leaves no empty folder', async () => {
    const name = 'fails-clean';
    const file = scenarioFile(name);
    // Posts to a path payments does not serve, prints its error, exits 1.
    writeFileSync(
      path.join(dir, `${name}.mjs`),
      `const response = await fetch(process.env.PAYMENTS_URL + '/v2/charge', { method: 'POST', body: '{}' });
console.log('line one');
console.log(JSON.stringify({ effect: 'none', status: response.status }));
console.error('Error: upstream said ' + response.status);
process.exit(1);
`,
    );
    const reportsDir = path.join(dir, 'fresh-reports');
    const error = await runScenario(loadScenario(file), { reportsDir }).then(
      () => null,
      (caught: unknown) => caught as Error & { code: string },
    );
    expect(error?.code).toBe('BASELINE_FAILED');
    const lines = error!.message.split('\n');
    expect(lines[0]).toBe('the clean run of operation "create-order" (no faults) did not succeed: it exited 1 with effect "none"');
    expect(lines).toContain('  stdout (last lines):');
    expect(lines).toContain('    line one');
    expect(lines).toContain('  stderr (last lines):');
    expect(lines).toContain('    Error: upstream said 404');
    expect(lines.find((line) => line.startsWith('    1. POST /v2/charge to payments'))).toMatch(/answered 404, unmatched \(no route of the upstream matches this path\)$/);
    // Nothing half-written, and not even the folders the run created.
    expect(existsSync(reportsDir)).toBe(false);
  }, 60_000);
});
