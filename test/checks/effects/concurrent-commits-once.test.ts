import { describe, expect, it } from 'vitest';
import { concurrentCommitsOnce } from '../../../src/checks/effects/concurrent-commits-once.js';
import { eff, input, inv, KEY, req, type Spec } from '../../fixtures/check-targets-2/rows.js';
import { expectStatus, runProbeTool } from '../../fixtures/check-targets-2/run-probe-tool.js';

const evaluate = (spec: Spec) => concurrentCommitsOnce.evaluate(input(spec));
const window = [{ upstream: 'payments', ordinal: 1, fault: 'slow', params: { delayBeforeCommitMs: 150, delayMs: 0 } }];
const racer = (id: number, overrides: Parameters<typeof inv>[1] = {}) => inv(id, { role: 'concurrent', startedMs: 0, durationMs: 500, ...overrides });

describe('concurrent-commits-once', () => {
  it('is skipped outside a concurrency probe', () => {
    expectStatus(evaluate({ invocations: [inv(1)], requests: [req(1, 1)], effects: [eff(1, 1)] }), 'skip');
  });

  it('passes one commit, whatever the racers said', () => {
    const result = evaluate({ faults: window, invocations: [racer(1), racer(2, { exitCode: 9, effect: null })], requests: [req(1, null)], effects: [eff(1, 1)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe(`create-order: concurrent invocations 1, 2 with key ${KEY} committed at most once (1 effect)`);
  });

  it('allows as many effects as the clean run had', () => {
    const two = [eff(1, 1), eff(2, 1, { resourceId: 'cha_2' })];
    expectStatus(evaluate({ faults: window, baseline: two, invocations: [racer(1), racer(2)], requests: [req(1, null)], effects: two }), 'pass');
  });

  it('fails two commits, naming both effects and which invocation sent each', () => {
    const result = evaluate({ faults: window, invocations: [racer(1), racer(2)], requests: [req(1, null), req(2, 2)], effects: [eff(1, 2), eff(2, 1)] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('together they committed 2 charges on payments POST /charges (clean run: 1)');
    expect(result.message).toContain(`invocation 2: 1 charge (effect 1 (cha_1, request 2, key ${KEY}))`);
    expect(result.message).toContain('sent while both ran (sender unknown): 1 charge');
    expect(result.evidence).toEqual({ invocations: [1, 2], requests: [2, 1], effects: [1, 2] });
  });

  it('blames the racer whose own retry charged twice, not the one that sent nothing (issue 13, class 9)', () => {
    const result = evaluate({ faults: window, invocations: [racer(1), racer(2, { effect: 'noop' })], requests: [req(1, 1), req(2, 1)], effects: [eff(1, 1), eff(2, 2)] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('invocation 1: 2 charges');
    expect(result.message).toContain('invocation 2: no charge');
  });

  it("ignores other roles' effects", () => {
    const result = evaluate({
      faults: window,
      invocations: [racer(1), racer(2, { exitCode: 4, effect: 'none' }), inv(3, { role: 'replay', effect: 'noop', startedMs: 3000 })],
      requests: [req(1, 1), req(2, 3, { startedMs: 3010 })],
      effects: [eff(1, 1), eff(2, 2)],
    });
    expectStatus(result, 'pass');
  });
});

describe('concurrent-commits-once end to end', () => {
  it('fails a tool without a per-key lock (both racers charge) and passes its twin', async () => {
    const buggy = await runProbeTool({ bug: 'no-lock', faults: ['none'], probes: { concurrent: true }, honoursKey: false });
    const result = buggy.check('create-order/probe:concurrent', 'concurrent-commits-once');
    expectStatus(result, 'fail');
    expect(result.message).toMatch(/together they committed 2 charges on payments POST \/charges \(clean run: 1\)/);
    const twin = await runProbeTool({ faults: ['none'], probes: { concurrent: true }, honoursKey: false });
    expectStatus(twin.check('create-order/probe:concurrent', 'concurrent-commits-once'), 'pass');
  });
});
