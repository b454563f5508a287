import { describe, expect, it } from 'vitest';
import { mismatchCommitsNothing } from '../../../src/checks/effects/mismatch-commits-nothing.js';
import { eff, input, inv, KEY, req, type Spec } from '../../fixtures/check-targets-2/rows.js';
import { expectStatus, runProbeTool } from '../../fixtures/check-targets-2/run-probe-tool.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const evaluate = (spec: Spec) => mismatchCommitsNothing.evaluate(input(spec));
const mismatch = (id: number, overrides: Parameters<typeof inv>[1] = {}) => inv(id, { role: 'mismatch', exitCode: 3, effect: 'none', ...overrides });
/** An effect of the mismatched payload (another amount than the clean run's). */
const other = (id: number, requestId: number) => eff(id, requestId, { fingerprint: 'payments POST /charges amount-101' });

describe('mismatch-commits-nothing', () => {
  it('is skipped outside a key-mismatch probe', () => {
    expectStatus(evaluate({ invocations: [inv(1)], requests: [req(1, 1)], effects: [eff(1, 1)] }), 'skip');
  });

  it('passes a mismatch that committed nothing, even one that wrongly said success (that is key-mismatch-rejected\'s business)', () => {
    const result = evaluate({ invocations: [inv(1), mismatch(2, { exitCode: 0, effect: 'created' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe(`create-order: the same key ${KEY} with a different payload committed nothing`);
  });

  it('fails a mismatch that committed, even one that refused, naming the effect and its request', () => {
    const result = evaluate({ invocations: [inv(1), mismatch(2)], requests: [req(1, 1), req(2, 2)], effects: [eff(1, 1), other(2, 2)] });
    expectStatus(result, 'fail');
    expect(result.message).toContain(`the same key ${KEY} with a different payload (invocation 2) committed effect 2`);
    expect(result.evidence).toEqual({ invocations: [2], requests: [2], effects: [2] });
  });

  it('does not charge the mismatch with an effect of the original payload that fell into its time (a late repeat: no-duplicate-effects\' business)', () => {
    // Zoo 20 under load: the API's late second charge of the original order came while the mismatch ran.
    const result = evaluate({ invocations: [inv(1), mismatch(2)], requests: [req(1, 1), req(2, 2)], effects: [eff(1, 1), eff(2, 2)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe(
      `create-order: the same key ${KEY} with a different payload committed nothing (effect 2 (cha_2, request 2, key ${KEY}) carried the original payload: a repeat of the first request, judged by no-duplicate-effects)`,
    );
    // Beside an effect of the mismatched payload, only that one is named.
    const both = evaluate({ invocations: [inv(1), mismatch(2)], requests: [req(1, 1), req(2, 2), req(3, 2)], effects: [eff(1, 1), eff(2, 2), other(3, 3)] });
    expectStatus(both, 'fail');
    expect(both.evidence).toEqual({ invocations: [2], requests: [3], effects: [3] });
  });
});

describe('mismatch-commits-nothing: the words of each verdict (issue 18, mutation testing)', () => {
  it('says why it did not judge: no mismatch probe, or a probe whose mismatch was never sent', () => {
    expect(mismatchCommitsNothing.evaluate(input({ invocations: [inv(1)] })).message).toBe(
      'create-order: not a key-mismatch probe (no invocation reused the key with another payload)',
    );
    const unsent = mismatchCommitsNothing.evaluate(input({ invocations: [inv(1, { exitCode: 1, effect: 'none' })], caller: { mismatch: true } }));
    expect(unsent).toEqual({ check: 'mismatch-commits-nothing', status: 'skip', message: 'create-order: the mismatch was never sent (it follows a success, and no attempt succeeded)' });
  });

  it('names every effect the mismatch committed', () => {
    const result = mismatchCommitsNothing.evaluate(input({ invocations: [inv(1), inv(2, { role: 'mismatch' })], requests: [req(1, 1), req(2, 2), req(3, 2)], effects: [eff(1, 1), other(2, 2), other(3, 3)] }));
    expect(result.message).toBe(`create-order: the same key ${KEY} with a different payload (invocation 2) committed effect 2 (cha_2, request 2, key ${KEY}); effect 3 (cha_3, request 3, key ${KEY})`);
    expect(result.evidence).toEqual({ invocations: [2], requests: [2, 3], effects: [2, 3] });
  });

  it('names every effect of the original payload that fell into its time, one after the other', () => {
    const result = mismatchCommitsNothing.evaluate(input({ invocations: [inv(1), mismatch(2)], requests: [req(1, 1), req(2, 2), req(3, 2)], effects: [eff(1, 1), eff(2, 2), eff(3, 3)] }));
    expect(result).toEqual({
      check: 'mismatch-commits-nothing',
      status: 'pass',
      message: `create-order: the same key ${KEY} with a different payload committed nothing (effect 2 (cha_2, request 2, key ${KEY}); effect 3 (cha_3, request 3, key ${KEY}) carried the original payload: a repeat of the first request, judged by no-duplicate-effects)`,
    });
  });
});

describeEndToEnd('mismatch-commits-nothing end to end', () => {
  it('fails a tool that charges a known key with another payload, and passes its twin', async () => {
    const buggy = await runProbeTool({ bug: 'mismatch-charges', faults: ['none'], probes: { mismatch: true }, honoursKey: false });
    expectStatus(buggy.check('create-order/probe:key-mismatch', 'mismatch-commits-nothing'), 'fail');
    const twin = await runProbeTool({ faults: ['none'], probes: { mismatch: true }, honoursKey: false });
    expectStatus(twin.check('create-order/probe:key-mismatch', 'mismatch-commits-nothing'), 'pass');
  });
});
