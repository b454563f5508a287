/**
 * Custom upstreams: a user's own msw handlers, imported from a module named in
 * the scenario, served by the same pipeline as the built-in models. Fixtures
 * are in test/fixtures/custom-upstreams/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { RetryproofError } from '../../src/errors.js';
import { CaseRecorder } from '../../src/runner/recorder.js';
import { runScenario } from '../../src/runner/run-scenario.js';
import { loadScenario, parseScenario, type Scenario } from '../../src/scenario/load.js';
import type { UpstreamModel } from '../../src/upstream/model.js';
import { createModel, loadModel } from '../../src/upstream/models/index.js';
import { UpstreamPipeline } from '../../src/upstream/pipeline.js';
import { fixture } from '../helpers/scenario.js';
import { TempLedger, UpstreamHarness } from '../helpers/upstream.js';

const DIR = fixture('custom-upstreams');

let harness: UpstreamHarness | undefined;
let ledger: TempLedger | undefined;

afterEach(async () => {
  try {
    await harness?.close();
  } finally {
    ledger?.close();
    harness = undefined;
    ledger = undefined;
  }
});

/** A scenario in the fixtures folder (not written anywhere) whose `billing` upstream is `upstream`. */
function scenarioWith(upstream: Record<string, unknown>): Scenario {
  const text = JSON.stringify({
    target: { kind: 'command', argv: ['node', 'charge-tool.mjs'] },
    upstreams: { billing: upstream },
    operations: [{ name: 'charge' }],
  });
  return parseScenario(text, path.join(DIR, 'in-memory.json'));
}

async function custom(upstream: Record<string, unknown>): Promise<UpstreamModel> {
  const scenario = scenarioWith({ model: 'custom', ...upstream });
  return loadModel(scenario.upstreams.billing!, { upstream: 'billing', scenario });
}

async function serve(upstream: Record<string, unknown>): Promise<{ h: UpstreamHarness; l: TempLedger }> {
  harness = await UpstreamHarness.start(await custom(upstream), { name: 'billing' });
  ledger = new TempLedger();
  return { h: harness, l: ledger };
}

async function loadError(upstream: Record<string, unknown>): Promise<RetryproofError> {
  const error = await custom(upstream).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RetryproofError);
  return error as RetryproofError;
}

const BILLING = { module: './billing.mjs', baseUrl: 'https://api.billing.example/v1', noun: 'charge' };

describe('custom upstream: a factory of handlers', () => {
  it('handlers written for absolute URLs match through baseUrl; recordEffect commits, recordReplay does not', async () => {
    const { h, l } = await serve({ ...BILLING, deduplicates: true, lookup: true });
    const started = h.begin();
    const first = await h.post('/charges', { amount: 100, ref: 'order-1' }, { headers: { 'idempotency-key': 'k-1' } });
    const replay = await h.post('/charges', { amount: 100, ref: 'order-1' }, { headers: { 'idempotency-key': 'k-1' } });
    const other = await h.post('/charges', { amount: 5 });
    const lookup = await h.get('/charges?ref=order-1');
    const rows = await l.store(h, started);

    expect([first.status, first.json]).toEqual([201, { id: 'ch_1', amount: 100, ref: 'order-1' }]);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json).toEqual(first.json);
    expect(other.json).toMatchObject({ id: 'ch_2' });
    expect(lookup.json).toEqual({ data: [first.json] });
    // The ledger keeps the path the target called; the effect names the route the handler gave.
    expect(rows.requests.map((row) => [row.method, row.path, row.outcome, row.committed])).toEqual([
      ['POST', '/charges', 'committed', true],
      ['POST', '/charges', 'replayed', false],
      ['POST', '/charges', 'committed', true],
      ['GET', '/charges?ref=order-1', 'read', false],
    ]);
    expect(rows.effects.map((effect) => [effect.route, effect.resourceId, effect.key])).toEqual([
      ['POST /v1/charges', 'ch_1', 'k-1'],
      ['POST /v1/charges', 'ch_2', null],
    ]);
  });

  it('is called again at the start of every case: each case starts with no charges', async () => {
    const { h, l } = await serve(BILLING);
    const one = h.begin([], 'case-a');
    await h.post('/charges', { amount: 1 });
    await h.post('/charges', { amount: 2 });
    await l.store(h, one);
    const two = h.begin([], 'case-b');
    const fresh = await h.post('/charges', { amount: 3 });
    const list = await h.get('/charges');
    await l.store(h, two);
    expect(fresh.json).toMatchObject({ id: 'ch_1' });
    expect((list.json as { data: unknown[] }).data).toHaveLength(1);
  });

  it('a fault after commit: the handler committed, the client saw 503, a blind retry is a second effect', async () => {
    const { h, l } = await serve(BILLING);
    const started = h.begin([h.fault('503-after-commit', 1)]);
    const first = await h.post('/charges', { amount: 100 });
    const retry = await h.post('/charges', { amount: 100 });
    const rows = await l.store(h, started);
    expect([first.status, retry.status]).toEqual([503, 201]);
    expect(rows.effects).toHaveLength(2);
    expect(rows.effects[0]!.fingerprint).toBe(rows.effects[1]!.fingerprint);
  });

  it('a fault before commit never reaches the handlers', async () => {
    const { h, l } = await serve(BILLING);
    const started = h.begin([h.fault('503-before-commit', 1)]);
    await h.post('/charges', { amount: 100 });
    const list = await h.get('/charges');
    const rows = await l.store(h, started);
    expect(rows.requests[0]).toMatchObject({ outcome: 'not-run', committed: false });
    expect((list.json as { data: unknown[] }).data).toHaveLength(0);
  });

  it('a mutating request whose handler records nothing is kept in the ledger, with no effect', async () => {
    const { h, l } = await serve(BILLING);
    const started = h.begin();
    const refund = await h.post('/refunds', { charge: 'ch_1' });
    const rows = await l.store(h, started);
    expect(refund.status).toBe(201);
    expect(rows.requests).toHaveLength(1);
    expect(rows.requests[0]).toMatchObject({ method: 'POST', path: '/refunds', committed: false, upstreamStatus: 201 });
    expect(rows.effects).toHaveLength(0);
  });

  it('a handler that throws is answered 500 (and said on stderr); the request is still recorded', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const { h, l } = await serve(BILLING);
      const started = h.begin();
      const answer = await h.post('/explode', {});
      const rows = await l.store(h, started);
      expect(answer.status).toBe(500);
      expect(answer.json).toEqual({ error: 'retryproof: a handler of upstream billing threw: the mock has a bug' });
      expect(rows.requests[0]).toMatchObject({ upstreamStatus: 500, clientStatus: 500, committed: false });
      expect(stderr.mock.calls.map(([text]) => String(text)).join('')).toMatch(/a handler of upstream billing .* threw on POST \/explode: the mock has a bug/);
    } finally {
      stderr.mockRestore();
    }
  });

  it('a route none of its handlers has: 404, unmatched', async () => {
    const { h, l } = await serve(BILLING);
    const started = h.begin();
    const answer = await h.send('DELETE', '/charges/ch_1');
    const rows = await l.store(h, started);
    expect(answer.status).toBe(404);
    expect(rows.requests[0]).toMatchObject({ outcome: 'unmatched' });
  });

  it('without baseUrl, absolute-URL handlers do not match the harness address', async () => {
    const { h, l } = await serve({ module: './billing.mjs' });
    const started = h.begin();
    const answer = await h.post('/charges', { amount: 1 });
    const rows = await l.store(h, started);
    expect(answer.status).toBe(404);
    expect(rows.requests[0]).toMatchObject({ outcome: 'unmatched' });
  });

  it('without baseUrl, relative paths and */ patterns match the harness address', async () => {
    const { h, l } = await serve({ module: './relative.mjs' });
    const started = h.begin();
    const job = await h.post('/jobs', {});
    const health = await h.get('/health');
    const rows = await l.store(h, started);
    expect([job.status, health.status]).toEqual([202, 200]);
    expect(rows.effects.map((effect) => effect.route)).toEqual(['POST /jobs']);
  });

  it('the in-process address of a module target is rewritten the same way', async () => {
    const model = await custom(BILLING);
    const pipeline = new UpstreamPipeline('billing', model);
    const recorder = new CaseRecorder('case-1', 'op');
    pipeline.beginCase({ faults: [], recorder, crashTarget: () => undefined });
    const result = await pipeline.handle(
      new Request('http://billing.upstream.retryproof.test/charges', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 9 }),
      }),
    );
    pipeline.endCase();
    expect(result.outcome.kind).toBe('respond');
    const response = (result.outcome as { response: Response }).response;
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ id: 'ch_1', amount: 9 });
    expect(recorder.requests[0]).toMatchObject({ path: '/charges', outcome: 'committed', committed: true });
  });

  it('takes its traits from the scenario', async () => {
    expect((await custom({ ...BILLING, deduplicates: true, ignoreFields: ['ref'] })).traits).toEqual({
      deduplicates: true,
      lookup: false,
      noun: 'charge',
      ignoreFields: ['ref'],
    });
  });
});

describe('custom upstream: a plain array of handlers', () => {
  const ARRAY = { module: './billing-array.mjs', export: 'handlers', baseUrl: 'https://api.billing.example/v1/' };

  it('serves them; recordEffect imported from the package entry records the commit', async () => {
    const { h, l } = await serve(ARRAY);
    const started = h.begin();
    const first = await h.post('/charges', { amount: 100 });
    const rows = await l.store(h, started);
    expect(first.status).toBe(201);
    expect(rows.requests[0]).toMatchObject({ outcome: 'committed', committed: true });
    // No route given: the effect is named by the request the target made.
    expect(rows.effects.map((effect) => [effect.route, effect.body])).toEqual([['POST /charges', '{"amount":100}']]);
  });

  it('keeps its own state across cases (only a factory starts fresh), but `once` handlers match again', async () => {
    const { h, l } = await serve(ARRAY);
    const one = h.begin([], 'case-a');
    const a = await h.post('/charges', { amount: 1 });
    const statusA = [await h.get('/status'), await h.get('/status')];
    await l.store(h, one);
    const two = h.begin([], 'case-b');
    const b = await h.post('/charges', { amount: 1 });
    const statusB = await h.get('/status');
    await l.store(h, two);
    const idA = Number((a.json as { id: string }).id.slice(3));
    expect((b.json as { id: string }).id).toBe(`ch_${idA + 1}`);
    expect(statusA.map((answer) => answer.json)).toEqual([{ first: true }, { first: false }]);
    expect(statusB.json).toEqual({ first: true });
  });
});

describe('custom upstream: recordEffect from another copy of the package', () => {
  it('a second instance of the context module records into the store of the first (shared through a global symbol)', async () => {
    const first = await import('../../src/upstream/context.js');
    vi.resetModules();
    const second = await import('../../src/upstream/context.js');
    expect(second.recordEffect).not.toBe(first.recordEffect);

    const effects: unknown[] = [];
    const outcomes: string[] = [];
    const context = {
      upstream: 'billing',
      commit: (effect: unknown) => effects.push(effect),
      replayed: () => outcomes.push('replayed'),
      rejected: () => outcomes.push('rejected'),
      unchanged: () => outcomes.push('unchanged'),
      route: () => undefined,
    };
    await first.runWithHandlerContext(context, async () => {
      await Promise.resolve();
      second.recordEffect({ resourceId: 'ch_1' });
      second.upstreamApi.recordReplay();
      second.recordUnchanged();
    });
    expect(effects).toEqual([{ resourceId: 'ch_1' }]);
    expect(outcomes).toEqual(['replayed', 'unchanged']);
    expect(() => second.recordEffect()).toThrow(/outside a request served by a retryproof upstream/);
  });

  it('recordUnchanged falls back to a replay where the pipeline has no `unchanged` outcome', async () => {
    const { runWithHandlerContext, recordUnchanged } = await import('../../src/upstream/context.js');
    const outcomes: string[] = [];
    runWithHandlerContext(
      {
        upstream: 'deploy',
        commit: () => outcomes.push('commit'),
        replayed: () => outcomes.push('replayed'),
        rejected: () => outcomes.push('rejected'),
        route: () => undefined,
      },
      () => recordUnchanged(),
    );
    expect(outcomes).toEqual(['replayed']);
  });
});

describe('custom upstream: modules that are not handlers (exit 2, naming the field)', () => {
  it.each([
    ['an object', 'default', /the export "default" of .*not-handlers\.mjs is an object \(charges\): neither an array of msw request handlers nor a factory/],
    ['an array of numbers', 'numbers', /the export "numbers" of .* is an array whose item \[0\] is a number \(1\), not an msw request handler/],
    ['an array with one non-handler', 'mixed', /item \[1\] is an object \(url\), not an msw request handler/],
    ['an async factory', 'asyncFactory', /the factory "asyncFactory" of .* returned a Promise: a factory must return its handlers synchronously/],
    ['a factory returning an object', 'notAList', /the factory "notAList" of .* returned an object \(handlers\), not an array of msw request handlers/],
    ['a factory that throws', 'throwing', /the factory "throwing" of .* threw: BILLING_SECRET is not set/],
    ['an export it does not have', 'handlers', /not-handlers\.mjs has no export "handlers" \(it exports: asyncFactory, default, mixed, notAList, numbers, throwing\)/],
  ])('%s', async (_label, exportName, message) => {
    const error = await loadError({ module: './not-handlers.mjs', export: exportName });
    expect(error.code).toBe('SCENARIO_INVALID');
    expect(error.message).toMatch(message);
    expect(error.where).toEqual({ file: path.join(DIR, 'in-memory.json'), field: 'upstreams.billing.export' });
    expect(error.fix).toBeTruthy();
    expect(error.describe()).toContain('upstreams.billing.export');
  });

  it('a module that throws while loading: the module field', async () => {
    const error = await loadError({ module: './broken.mjs' });
    expect(error.code).toBe('SCENARIO_INVALID');
    expect(error.where.field).toBe('upstreams.billing.module');
    expect(error.message).toMatch(/cannot load the upstream module .*broken\.mjs: billing mock needs BILLING_FIXTURES_DIR/);
    expect(error.fix).toMatch(/node .*broken\.mjs/);
  });

  it('a module that does not exist is refused when the scenario is loaded', () => {
    let caught: unknown;
    try {
      scenarioWith({ model: 'custom', module: './mocks/missing.mjs' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RetryproofError);
    expect((caught as RetryproofError).where.field).toBe('upstreams.billing.module');
    expect((caught as RetryproofError).message).toBe(`no such module: ${path.join(DIR, 'mocks', 'missing.mjs')}`);
  });

  it.each([
    ['no module', {}, 'upstreams.billing.module'],
    ['a baseUrl that is not http', { module: './billing.mjs', baseUrl: 'ftp://billing.example' }, 'upstreams.billing.baseUrl'],
    ['an unknown field', { module: './billing.mjs', honoursIdempotencyKey: true }, 'upstreams.billing.honoursIdempotencyKey'],
  ])('%s: refused by the schema', (_label, fields, field) => {
    let caught: unknown;
    try {
      scenarioWith({ model: 'custom', ...fields });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RetryproofError);
    expect((caught as RetryproofError).where.field).toBe(field);
  });

  it('defaults: export default, no baseUrl, neither deduplicates nor looks up', () => {
    expect(scenarioWith({ model: 'custom', module: './billing.mjs' }).upstreams.billing).toEqual({
      model: 'custom',
      module: './billing.mjs',
      export: 'default',
      deduplicates: false,
      lookup: false,
      noun: 'effect',
      ignoreFields: [],
    });
  });

  it('the synchronous createModel says that a custom upstream needs loadModel', () => {
    const scenario = scenarioWith({ model: 'custom', module: './billing.mjs' });
    expect(() => createModel(scenario.upstreams.billing!)).toThrow(/loadModel/);
  });
});

describe('custom upstream end to end (runScenario, a command target)', () => {
  const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-custom-'));
  afterAll(() => rmSync(reportsDir, { recursive: true, force: true }));

  it('catches the duplicate charge of a tool that retries blindly', async () => {
    const result = await runScenario(loadScenario(path.join(DIR, 'blind.yaml')), { reportsDir });
    expect(result.baselines).toEqual([
      expect.objectContaining({ operation: 'charge', effects: { 'billing POST /v1/charges': 1 }, upstreams: ['billing'] }),
    ]);
    expect(result.failedChecks).toEqual(['no-duplicate-effects']);
    const faulted = result.cases.find((item) => item.id === 'charge/503-after-commit@billing#1')!;
    expect(faulted.effects).toBe(2);
    const duplicate = faulted.checks.find((check) => check.check === 'no-duplicate-effects')!;
    expect(duplicate.status).toBe('fail');
    expect(duplicate.message).toMatch(/charge/);
    expect(result.cases.find((item) => item.id === 'charge/none')?.verdict).toBe('pass');
  }, 60_000);

  it('passes the same tool sending one Idempotency-Key: the custom upstream replays the retry', async () => {
    const result = await runScenario(loadScenario(path.join(DIR, 'keyed.yaml')), { reportsDir });
    expect(result.failedChecks).toEqual([]);
    const faulted = result.cases.find((item) => item.id === 'charge/503-after-commit@billing#1')!;
    expect(faulted.effects).toBe(1);
    expect(faulted.requests).toBe(2);
  }, 60_000);

  it('a module whose export is not handlers stops the run with SCENARIO_INVALID (exit 2), naming the field', async () => {
    const scenario = scenarioWith({ model: 'custom', module: './not-handlers.mjs' });
    const error = await runScenario(scenario, { reportsDir }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RetryproofError);
    expect((error as RetryproofError).code).toBe('SCENARIO_INVALID');
    expect((error as RetryproofError).where).toEqual({ file: path.join(DIR, 'in-memory.json'), field: 'upstreams.billing.export' });
  }, 60_000);
});
