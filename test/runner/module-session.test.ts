/**
 * The module session: one invocation of an exported function inside a case
 * (return, throw, timeout, mismatch and dry-run variants), how a missing export
 * is reported, calls that outlive their case, and the bundled example end to
 * end, in-process (msw) and over loopback.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { InvocationVariant } from '../../src/caller/caller.js';
import { RetryproofError } from '../../src/errors.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { CRASH_FAULTS, RESTART_FAULTS } from '../../src/faults/registry.js';
import type { InvocationRole, InvocationRow } from '../../src/ledger/rows.js';
import { MODULE_CRASH_REASON, MODULE_RESTART_REASON } from '../../src/runner/module-session.js';
import type { ScenarioResult } from '../../src/core/result.js';
import { CaseRecorder } from '../../src/runner/recorder.js';
import { runScenario } from '../../src/runner/run-scenario.js';
import { startTargetSession, type TargetSession } from '../../src/runner/target-session.js';
import { startUpstreams, type RunningUpstreams } from '../../src/runner/upstreams.js';
import { loadScenario, type Scenario } from '../../src/scenario/load.js';
import type { RunningInvocation } from '../../src/targets/target.js';
import { inProcessListening } from '../../src/upstream/in-process.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'retryproof-module-session-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const repo = path.resolve(import.meta.dirname, '../..');

/** The fixture module: each export is one behaviour. */
const FIXTURE = `
export async function charge(input, ctx) {
  const res = await fetch(ctx.upstreams.payments + '/charges', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': ctx.key },
    body: JSON.stringify(input),
    signal: ctx.signal,
  });
  const body = await res.json();
  return { effect: res.headers.get('idempotent-replayed') === 'true' ? 'noop' : 'created', id: body.id };
}

export async function echo(input, ctx) {
  input.mutated = true;
  return {
    effect: ctx.dryRun ? 'would_create' : 'noop',
    input,
    key: ctx.key,
    upstreams: ctx.upstreams,
    dryRun: ctx.dryRun,
    operation: ctx.operation,
    signal: ctx.signal instanceof AbortSignal && !ctx.signal.aborted,
  };
}

export async function refuse() {
  throw Object.assign(new Error('payments refused the charge (422)'), { effect: 'none', status: 422 });
}

export function hang(input, ctx) {
  return new Promise((resolve, reject) => {
    ctx.signal.addEventListener('abort', () => reject(Object.assign(new Error('gave up: ' + ctx.signal.reason.name), { effect: 'unknown' })));
  });
}

/** Ignores its signal; sends a late charge (from its own async context) when the test says go. */
export const late = {};
export async function stubborn(input, ctx) {
  const go = new Promise((resolve) => (late.go = resolve));
  let settle;
  late.done = new Promise((resolve) => (settle = resolve));
  await go;
  try {
    const res = await fetch(ctx.upstreams.payments + '/charges', { method: 'POST', body: JSON.stringify({ late: true }) });
    settle('answered ' + res.status);
  } catch (error) {
    settle('refused: ' + error.message);
  }
  return { effect: 'created' };
}
export const notAFunction = 42;
`;

let counter = 0;
/** Writes the fixture module and a scenario around it into a fresh folder; returns the loaded scenario. */
function moduleScenario(overrides: Record<string, unknown> = {}, target: Record<string, unknown> = {}): Scenario {
  counter += 1;
  const dir = path.join(root, `s${counter}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'target.mjs'), FIXTURE);
  const scenario = {
    name: `module-${counter}`,
    target: { kind: 'module', path: 'target.mjs', export: 'charge', timeoutMs: 2_000, ...target },
    upstreams: { payments: { model: 'resource', path: '/charges', honoursIdempotencyKey: true, noun: 'charge' } },
    operations: [{ name: 'create-order', input: { amount: 100, currency: 'eur' } }],
    ...overrides,
  };
  const file = path.join(dir, 'scenario.yaml');
  writeFileSync(file, YAML.stringify(scenario));
  return loadScenario(file);
}

interface Opened {
  scenario: Scenario;
  upstreams: RunningUpstreams;
  session: TargetSession;
  recorder: CaseRecorder;
  /** Begins a (new) case on the upstreams and the session. */
  begin(caseId: string): Promise<void>;
  invoke(operation: string, variant?: InvocationVariant, role?: InvocationRole, key?: string): Promise<InvocationRow>;
}

const opened: Opened[] = [];
afterEach(async () => {
  for (const item of opened.splice(0)) {
    for (const pipeline of item.upstreams.pipelines) pipeline.endCase();
    await item.session.close();
    await item.upstreams.close();
  }
  expect(inProcessListening()).toBe(false);
});

async function open(scenario: Scenario): Promise<Opened> {
  const upstreams = await startUpstreams(scenario);
  const session = await startTargetSession(scenario, upstreams);
  const live = new Map<number, RunningInvocation>();
  const item: Opened = {
    scenario,
    upstreams,
    session,
    recorder: new CaseRecorder('case-0', 'create-order'),
    async begin(caseId) {
      await session.beginCase?.();
      item.recorder = new CaseRecorder(caseId, 'create-order');
      for (const pipeline of upstreams.pipelines) {
        pipeline.beginCase({ faults: [], recorder: item.recorder, crashTarget: () => undefined });
      }
    },
    invoke(operationName, variant = {}, role = 'attempt', key = 'rp-key-1') {
      const operation = scenario.operations.find((op) => op.name === operationName)!;
      const context = { scenario, operation, urls: upstreams.urls, caseDir: root, recorder: item.recorder, live };
      return session.invoke(context, role, key, 1, variant);
    },
  };
  opened.push(item);
  await item.begin('case-1');
  return item;
}

describe('one invocation', () => {
  it('a return: exit 0, the effect and value as output, and the function\'s requests in the ledger under it', async () => {
    const { invoke, recorder, upstreams } = await open(moduleScenario());
    const row = await invoke('create-order');
    expect(row).toMatchObject({
      caseId: 'case-1',
      id: 1,
      role: 'attempt',
      key: 'rp-key-1',
      targetKind: 'module',
      exitCode: 0,
      signal: null,
      killed: false,
      killReason: null,
      effect: 'created',
      stdoutJson: { effect: 'created', id: 'cha_1' },
      error: null,
      argv: ['target.mjs#charge'],
      request: { export: 'charge', input: { amount: 100, currency: 'eur' } },
    });
    expect(JSON.parse(row.stdout)).toEqual(row.stdoutJson);
    expect(upstreams.urls.get('payments')).toBe('http://payments.upstream.retryproof.test');
    expect(recorder.invocations).toEqual([row]);
    expect(recorder.keys.has('rp-key-1')).toBe(true);
    expect(recorder.requests).toHaveLength(1);
    expect(recorder.requests[0]).toMatchObject({ invocationId: 1, idempotencyKey: 'rp-key-1', committed: true, delivery: 'response' });
    expect(recorder.live.size).toBe(0);
    // The same key again: the upstream replays, the function says noop.
    expect((await invoke('create-order', {}, 'replay')).effect).toBe('noop');
  });

  it('passes a copy of the input and the context: key, upstream URLs, signal, dryRun, operation', async () => {
    const { invoke, scenario } = await open(moduleScenario({}, { export: 'echo' }));
    const row = await invoke('create-order', {}, 'attempt', 'rp-ctx');
    expect(row.stdoutJson).toEqual({
      effect: 'noop',
      input: { amount: 100, currency: 'eur', mutated: true },
      key: 'rp-ctx',
      upstreams: { payments: 'http://payments.upstream.retryproof.test' },
      dryRun: false,
      operation: 'create-order',
      signal: true,
    });
    // The function changed its copy, not the scenario.
    expect(scenario.operations[0]!.input).toEqual({ amount: 100, currency: 'eur' });
    const dry = await invoke('create-order', { dryRun: true }, 'dry-run');
    expect(dry).toMatchObject({ effect: 'would_create', stdoutJson: { dryRun: true }, request: { dryRun: true } });
  });

  it('the mismatch variant gets the mismatch input: the scenario\'s, or the first value changed', async () => {
    const derived = await open(moduleScenario({}, { export: 'echo' }));
    const changed = await derived.invoke('create-order', { mismatch: true }, 'mismatch');
    expect(changed.stdoutJson).toMatchObject({ input: { amount: 101, currency: 'eur' } });
    expect(changed.request).toEqual({ export: 'echo', input: { amount: 101, currency: 'eur' } });

    const declared = await open(
      moduleScenario({ operations: [{ name: 'create-order', input: { amount: 100, currency: 'eur' }, mismatchInput: { currency: 'usd' } }] }, { export: 'echo' }),
    );
    expect((await declared.invoke('create-order', { mismatch: true }, 'mismatch')).stdoutJson).toMatchObject({ input: { amount: 100, currency: 'usd' } });
  });

  it('a throw: exit 1, the message as error, the error\'s effect as effect', async () => {
    const { invoke } = await open(moduleScenario({}, { export: 'refuse' }));
    const row = await invoke('create-order');
    expect(row).toMatchObject({
      exitCode: 1,
      killed: false,
      effect: 'none',
      error: 'payments refused the charge (422)',
      stdoutJson: { name: 'Error', effect: 'none', status: 422, error: 'payments refused the charge (422)' },
    });
    expect(row.stderr).toMatch(/payments refused the charge/);
  });

  it('a timeout aborts the signal and records the invocation as killed (timeoutMs, or the caller\'s abandonAfterMs)', async () => {
    const { invoke } = await open(moduleScenario({}, { export: 'hang', timeoutMs: 300 }));
    const row = await invoke('create-order');
    expect(row).toMatchObject({ killed: true, killReason: 'timeout', exitCode: 1, effect: 'unknown', error: 'gave up: TimeoutError' });
    expect(row.durationMs).toBeGreaterThanOrEqual(295);
    expect(row.durationMs).toBeLessThan(1_500);
    const abandoned = await invoke('create-order', { abandonAfterMs: 100 });
    expect(abandoned).toMatchObject({ killed: true, killReason: 'timeout' });
    expect(abandoned.durationMs).toBeLessThan(290);
  });

  it('declares the crash faults unsupported, with the reason', async () => {
    const { session } = await open(moduleScenario());
    expect([...session.unsupportedFaults.keys()]).toEqual([...CRASH_FAULTS, ...RESTART_FAULTS]);
    expect(new Set(session.unsupportedFaults.values())).toEqual(new Set([MODULE_CRASH_REASON, MODULE_RESTART_REASON]));
    expect(MODULE_CRASH_REASON).toBe('module targets run in-process: there is no process to kill');
  });
});

describe('a call that outlives its invocation', () => {
  it('stays live in its case, and is cut off from the upstreams once the next case begins', async () => {
    const item = await open(moduleScenario({}, { export: 'stubborn', timeoutMs: 100 }));
    const row = await item.invoke('create-order');
    expect(row).toMatchObject({ killed: true, exitCode: null });
    // Still running: the recorder must not credit its requests to a later invocation.
    expect(item.recorder.live.has(row.id)).toBe(true);
    const firstCase = item.recorder;
    await item.begin('case-2');
    const fixture = (await import(path.join(root, `s${counter}`, 'target.mjs'))) as { late: { go: () => void; done: Promise<string> } };
    fixture.late.go();
    expect(await fixture.late.done).toBe('refused: Failed to fetch');
    expect(item.recorder.requests).toHaveLength(0);
    expect(firstCase.requests).toHaveLength(0);
    // Settled now: no longer live.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(firstCase.live.size).toBe(0);
  });
});

describe('missing or wrong exports are bad input (exit 2), before any case runs', () => {
  it('names target.export', async () => {
    const scenario = moduleScenario({}, { export: 'createOrder' });
    const upstreams = await startUpstreams(scenario);
    try {
      const error = await startTargetSession(scenario, upstreams).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(RetryproofError);
      expect(error).toMatchObject({ code: 'SCENARIO_INVALID', where: { file: scenario.file, field: 'target.export' } });
      expect((error as Error).message).toMatch(/no export "createOrder" \(its exported functions: charge, echo, hang, refuse, stubborn\)/);
    } finally {
      await upstreams.close();
    }
  });

  it('names operations[i].export, and the run leaves no report folder and no interception behind', async () => {
    const scenario = moduleScenario({
      operations: [
        { name: 'create-order', input: { amount: 1 } },
        { name: 'count', input: {}, export: 'notAFunction' },
      ],
    });
    const reportsDir = path.join(root, `reports-${counter}`);
    const error = await runScenario(scenario, { reportsDir }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'SCENARIO_INVALID', where: { field: 'operations[1].export' } });
    expect((error as Error).message).toMatch(/export "notAFunction" is a number, not a function/);
    expect(inProcessListening()).toBe(false);
    expect(existsSync(path.join(reportsDir, scenario.name)) ? readdirSync(path.join(reportsDir, scenario.name)) : []).toEqual([]);
  });
});

/** The failed checks' messages, for an assertion that should say why. */
function failures(result: ScenarioResult): string {
  return result.cases
    .flatMap((item) => item.checks.filter((check) => check.status === 'fail').map((check) => `${item.id}: ${check.check}: ${check.message}`))
    .join('\n');
}

describe('the bundled example', () => {
  const reportsDir = path.join(root, 'example-reports');

  it('orders-module.yaml passes every check in-process, and reports the crash faults as skipped', async () => {
    const scenario = loadScenario(path.join(repo, 'scenarios/orders-module.yaml'));
    const result = await runScenario(scenario, { reportsDir });
    expect(inProcessListening()).toBe(false);
    expect(result.failedChecks, failures(result)).toEqual([]);
    expect(result.verdict).toBe('pass');
    expect(result.asExpected).toBe(true);
    expect(result.skippedFaults).toEqual([
      ...CRASH_FAULTS.map((fault) => ({ fault, reason: MODULE_CRASH_REASON })),
      ...RESTART_FAULTS.map((fault) => ({ fault, reason: MODULE_RESTART_REASON })),
    ]);
    expect(result.cases.some((item) => item.id.includes('crash'))).toBe(false);
    // The faults that matter most for retries ran, and the key kept the charge single.
    for (const id of ['timeout-after-commit@payments#1', 'reset-after-commit@payments#1', 'truncate-after-commit@payments#1', '500-after-commit@payments#1']) {
      const item = result.cases.find((candidate) => candidate.id === `create-order/${id}`)!;
      expect(item.verdict).toBe('pass');
      expect(item.effects).toBe(1);
      expect(item.faults[0]!.requestId).toBe(1);
    }
    const report = JSON.parse(readFileSync(path.join(result.runDir, 'report.json'), 'utf8')) as { skippedFaults: unknown };
    expect(report.skippedFaults).toEqual(result.skippedFaults);
  });

  it('the undici twin (a client msw cannot intercept) passes with interception: loopback', async () => {
    const file = path.join(root, 'orders-module-loopback.yaml');
    const example = YAML.parse(readFileSync(path.join(repo, 'scenarios/orders-module.yaml'), 'utf8')) as Record<string, unknown> & { target: Record<string, unknown> };
    const scenarioText = YAML.stringify({
      ...example,
      name: 'orders-module-loopback',
      target: { ...example.target, path: path.join(repo, 'scenarios/targets/orders-module-undici.mjs'), interception: 'loopback' },
      faults: ['none', 'timeout-after-commit', 'reset-after-commit', 'truncate-after-commit', '503-after-commit', 'crash-after-commit'],
      depth: 1,
    });
    writeFileSync(file, scenarioText);
    const scenario = loadScenario(file);
    const upstreams = await startUpstreams(scenario);
    try {
      expect(upstreams.urls.get('payments')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await upstreams.close();
    }
    const result = await runScenario(scenario, { reportsDir });
    expect(result.failedChecks, failures(result)).toEqual([]);
    expect(result.skippedFaults).toEqual([{ fault: 'crash-after-commit', reason: MODULE_CRASH_REASON }]);
    const timeout = result.cases.find((item) => item.id === 'create-order/timeout-after-commit@payments#1')!;
    expect(timeout.effects).toBe(1);
    expect(timeout.requests).toBe(2);
    // Over loopback each racer of the concurrency probe has ports of its own: every request is attributed to its racer.
    const ledger = new Ledger(path.join(result.runDir, 'ledger.sqlite'), { readonly: true });
    try {
      const race = ledger.readCase('create-order/probe:concurrent');
      const racers = race.invocations.filter((invocation) => invocation.role === 'concurrent').map((invocation) => invocation.id);
      expect(racers).toHaveLength(2);
      expect(race.requests.length).toBeGreaterThanOrEqual(2);
      expect(new Set(race.requests.map((request) => request.invocationId))).toEqual(new Set(racers));
    } finally {
      ledger.close();
    }
  });
});
