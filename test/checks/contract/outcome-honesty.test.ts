import { describe, expect, it } from 'vitest';
import { outcomeHonesty } from '../../../src/checks/contract/outcome-honesty.js';
import { eff, httpInv, input, inv, KEY, killedInv, refused, req, type Spec } from '../../fixtures/check-targets-2/rows.js';
import { expectStatus, problems, runProbeTool } from '../../fixtures/check-targets-2/run-probe-tool.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const evaluate = (spec: Spec) => outcomeHonesty.evaluate(input(spec));
const lied = (id: number) => inv(id, { exitCode: 1, effect: 'none' });

describe('outcome-honesty on hand-built rows', () => {
  it('is skipped when no invocation reported failure', () => {
    const result = evaluate({ invocations: [inv(1), inv(2, { role: 'replay', effect: 'noop' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(result, 'skip');
    expect(result.message).toBe('create-order: no invocation reported failure, so there is no failure to believe or doubt');
  });

  it('passes failures that committed nothing', () => {
    const result = evaluate({ invocations: [lied(1), inv(2)], requests: [refused(1, 1, 400), req(2, 2)], effects: [eff(1, 2)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe('create-order: 1 invocation reported failure (1) and none of them committed');
  });

  it('warns about a failure that committed, naming the invocation and the effect', () => {
    const result = evaluate({ invocations: [lied(1), inv(2, { effect: 'noop' })], requests: [req(1, 1, { clientStatus: 503, fault: '503-after-commit' })], effects: [eff(1, 1)] });
    expectStatus(result, 'warn');
    expect(result.message).toBe(
      `create-order: invocation 1 (attempt, exit 1) reported failure (effect "none", exit 1) but committed effect 1 (cha_1, request 1, key ${KEY}) (report "unknown" when the outcome cannot be known)`,
    );
    expect(result.evidence).toEqual({ invocations: [1], requests: [1], effects: [1] });
  });

  it('makes it a violation with strictOutcomeHonesty', () => {
    const result = evaluate({ scenario: { strictOutcomeHonesty: true }, invocations: [lied(1)], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(result, 'fail');
    expect(evaluate({ noScenario: true, invocations: [lied(1)], requests: [req(1, 1)], effects: [eff(1, 1)] }).status).toBe('warn');
  });

  it('counts a failure exit without effect "none" as reporting failure', () => {
    const result = evaluate({ invocations: [inv(1, { exitCode: 1, effect: 'created' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(result, 'warn');
    expect(result.message).toContain('reported failure (effect "created", exit 1)');
    const noJson = evaluate({ invocations: [inv(1, { exitCode: 1, effect: null, stdoutJson: null, stdout: 'error\n' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(noJson, 'warn');
    expect(noJson.message).toContain('reported failure (exit 1)');
  });

  it('finds "unknown", a kill and a lost answer honest', () => {
    const unknown = evaluate({ invocations: [inv(1, { exitCode: 75, effect: 'unknown' }), inv(2, { effect: 'noop' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(unknown, 'skip');
    const mixed = evaluate({ invocations: [inv(1, { exitCode: 75, effect: 'unknown' }), lied(2)], requests: [req(1, 1), refused(2, 2, 400)], effects: [eff(1, 1)] });
    expectStatus(mixed, 'pass');
    const killed = evaluate({ invocations: [killedInv(1), inv(2, { effect: 'noop' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(killed, 'skip');
  });

  it('judges http targets by status, unless the body says unknown', () => {
    const gateway = evaluate({ invocations: [httpInv(1, 502, { error: 'upstream failed' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(gateway, 'warn');
    expect(gateway.message).toContain('invocation 1 (attempt, HTTP 502) reported failure (HTTP 502) but committed effect 1');
    expect(evaluate({ invocations: [httpInv(1, 502, { effect: 'unknown' })], requests: [req(1, 1)], effects: [eff(1, 1)] }).status).toBe('skip');
    expect(evaluate({ invocations: [httpInv(1, null, null, { error: 'timeout' })], requests: [req(1, 1)], effects: [eff(1, 1)] }).status).toBe('skip');
  });

  it('blames concurrent invocations together when all of them reported failure', () => {
    const racers = [inv(1, { role: 'concurrent', exitCode: 4, effect: 'none', startedMs: 0, durationMs: 500 }), inv(2, { role: 'concurrent', exitCode: 4, effect: 'none', startedMs: 0, durationMs: 500 })];
    const result = evaluate({ invocations: racers, requests: [req(1, null, { startedMs: 100 })], effects: [eff(1, 1)] });
    expectStatus(result, 'warn');
    expect(result.message).toContain('invocations running together all reported failure, but one of them committed effect 1');
    expect(result.evidence?.invocations).toEqual([1, 2]);
    const oneSucceeded = evaluate({ invocations: [racers[0]!, { ...racers[1]!, exitCode: 0, effect: 'created' }], requests: [req(1, null, { startedMs: 100 })], effects: [eff(1, 1)] });
    expectStatus(oneSucceeded, 'pass');
  });
});

describeEndToEnd('outcome-honesty end to end', () => {
  it('warns about a tool that answers a 503 after commit with "none"', async () => {
    const run = await runProbeTool({ bug: 'lie-on-5xx', faults: ['503-after-commit'], honoursKey: true, caller: { retries: 1 } });
    const result = run.check('create-order/503-after-commit@payments#1', 'outcome-honesty');
    expectStatus(result, 'warn');
    expect(result.message).toMatch(/^create-order: invocation 1 \(attempt, exit 1\) reported failure \(effect "none", exit 1\) but committed effect 1 \(cha_1, request 1, key rp-\w+-1\)/);
    expect(result.evidence).toEqual({ invocations: [1], requests: [1], effects: [1] });
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual([]);
  });

  it('fails it under strictOutcomeHonesty', async () => {
    const run = await runProbeTool({ bug: 'lie-on-5xx', faults: ['503-after-commit'], honoursKey: true, strictOutcomeHonesty: true });
    expect(run.check('create-order/503-after-commit@payments#1', 'outcome-honesty').status).toBe('fail');
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual(['outcome-honesty']);
  });

  it('passes the twin under strictOutcomeHonesty: its failures commit nothing', async () => {
    const run = await runProbeTool({ faults: ['503-after-commit', 'permanent-error'], honoursKey: true, strictOutcomeHonesty: true });
    expectStatus(run.check('create-order/permanent-error@payments#1', 'outcome-honesty'), 'pass');
    expect(run.check('create-order/503-after-commit@payments#1', 'outcome-honesty').status).toBe('skip');
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual([]);
  });
});

describe('outcome-honesty: the branches mutation testing left open (issue 18)', () => {
  it('names every lying invocation with its effects, and counts the failures', () => {
    const result = evaluate({
      invocations: [lied(1), inv(2, { exitCode: 3, effect: null, stdoutJson: null }), inv(3, { effect: 'noop' })],
      requests: [req(1, 1), req(2, 1), req(3, 2)],
      effects: [eff(1, 1), eff(2, 2), eff(3, 3)],
    });
    expectStatus(result, 'warn');
    expect(result.message).toBe(
      `create-order: invocation 1 (attempt, exit 1) reported failure (effect "none", exit 1) but committed effect 1 (cha_1, request 1, key ${KEY}); effect 2 (cha_2, request 2, key ${KEY}); ` +
        `invocation 2 (attempt, exit 3) reported failure (exit 3) but committed effect 3 (cha_3, request 3, key ${KEY}) (report "unknown" when the outcome cannot be known)`,
    );
    expect(result.evidence).toEqual({ invocations: [1, 2], requests: [1, 2, 3], effects: [1, 2, 3] });
    const honest = evaluate({ invocations: [lied(1), lied(2)], requests: [refused(1, 1, 400), refused(2, 2, 400)] });
    expect(honest.message).toBe('create-order: 2 invocations reported failure (1, 2) and none of them committed');
  });

  it('passes over an effect whose request is not in the log, or was sent while no invocation ran', () => {
    const orphan = evaluate({ invocations: [lied(1)], requests: [], effects: [eff(1, 7)] });
    expectStatus(orphan, 'pass');
    const between = evaluate({ invocations: [lied(1)], requests: [req(1, null, { startedMs: 5000 })], effects: [eff(1, 1)] });
    expectStatus(between, 'pass');
  });

  it('reports a shared effect beside an attributed lie, with every racer in the evidence', () => {
    const racer = (id: number) => inv(id, { role: 'concurrent', exitCode: 4, effect: 'none', startedMs: 0, durationMs: 500 });
    const result = evaluate({
      invocations: [racer(1), racer(2)],
      requests: [req(1, null, { startedMs: 100 }), req(2, 2, { startedMs: 200 })],
      effects: [eff(1, 2), eff(2, 1)],
    });
    expectStatus(result, 'warn');
    expect(result.message).toBe(
      `create-order: invocation 2 (concurrent, exit 4) reported failure (effect "none", exit 4) but committed effect 1 (cha_1, request 2, key ${KEY}); ` +
        `invocations running together all reported failure, but one of them committed effect 2 (cha_2, request 1, key ${KEY}) (report "unknown" when the outcome cannot be known)`,
    );
    expect(result.evidence).toEqual({ invocations: [1, 2], requests: [2, 1], effects: [1, 2] });
  });

  it('reads an http failure by its status at the edges of 2xx, and a signal as no answer', () => {
    const at = (status: number) => evaluate({ invocations: [httpInv(1, status, { error: 'x' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(at(300), 'warn');
    expectStatus(at(199), 'warn');
    expectStatus(at(200), 'skip');
    expectStatus(at(299), 'skip');
    expect(at(300).message).toContain('invocation 1 (attempt, HTTP 300) reported failure (HTTP 300) but committed');
    const noStatus = evaluate({ invocations: [httpInv(1, undefined as unknown as null, null, { effect: null })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(noStatus, 'skip');
    const signalled = evaluate({ invocations: [inv(1, { exitCode: null, signal: 'SIGTERM', effect: 'none' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(signalled, 'skip');
    const noCode = evaluate({ invocations: [inv(1, { exitCode: null, effect: null, stdoutJson: null })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(noCode, 'skip');
    const httpNone = evaluate({ invocations: [httpInv(1, 200, { effect: 'none' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(httpNone, 'warn');
    expect(httpNone.message).toContain('reported failure (effect "none", HTTP 200)');
  });

  it('honours a custom success contract', () => {
    const result = evaluate({ exitCodes: { success: [0, 3], failure: [1] }, invocations: [inv(1, { exitCode: 3, effect: 'created' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(result, 'skip');
  });
});

describe('outcome-honesty: survivors of the mutation run (issue 18)', () => {
  const racer = (id: number) => inv(id, { role: 'concurrent', exitCode: 4, effect: 'none', startedMs: 0, durationMs: 500 });

  it('lists every effect the failing racers committed together', () => {
    const result = evaluate({ invocations: [racer(1), racer(2)], requests: [req(1, null, { startedMs: 100 }), req(2, null, { startedMs: 200 })], effects: [eff(1, 1), eff(2, 2)] });
    expectStatus(result, 'warn');
    expect(result.message).toBe(
      `create-order: invocations running together all reported failure, but one of them committed effect 1 (cha_1, request 1, key ${KEY}); effect 2 (cha_2, request 2, key ${KEY}) (report "unknown" when the outcome cannot be known)`,
    );
  });

  it('puts in the evidence the racers that were running when the committing request was sent, not those of another request', () => {
    // Racer 1 looked up alone first (attributed to it, no effect); the charge came while both ran.
    const result = evaluate({ invocations: [racer(1), racer(2)], requests: [req(1, 1, { method: 'GET', committed: false, outcome: 'read', startedMs: 5 }), req(2, null, { startedMs: 100 })], effects: [eff(1, 2)] });
    expectStatus(result, 'warn');
    expect(result.evidence).toEqual({ invocations: [1, 2], requests: [2], effects: [1] });
  });
});
