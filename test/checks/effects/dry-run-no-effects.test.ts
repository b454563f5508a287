import { describe, expect, it } from 'vitest';
import { dryRunNoEffects } from '../../../src/checks/effects/dry-run-no-effects.js';
import { eff, input, inv, KEY, lookup, refused, req, type Spec } from '../../fixtures/check-targets-2/rows.js';
import { expectStatus, problems, runProbeTool } from '../../fixtures/check-targets-2/run-probe-tool.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const evaluate = (spec: Spec) => dryRunNoEffects.evaluate(input({ caller: { retries: 0, replay: false, dryRun: true }, ...spec }));
const dry = (overrides: Parameters<typeof inv>[1] = {}) => inv(1, { role: 'dry-run', effect: 'would_create', ...overrides });

describe('dry-run-no-effects on hand-built rows', () => {
  it('is skipped outside a dry-run probe', () => {
    const result = evaluate({ invocations: [inv(1)], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(result, 'skip');
    expect(result.message).toBe('create-order: not a dry-run probe (the operation declares no dryRun, or probes.dryRun is off)');
  });

  it('passes a dry run that reports would_create and only looks things up', () => {
    const result = evaluate({ invocations: [dry()], requests: [lookup(1, 1)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe('create-order: the dry run sent no mutating request (1 read)');
  });

  it('passes a dry run that finds nothing to do (noop)', () => {
    expect(evaluate({ invocations: [dry({ effect: 'noop' })] }).status).toBe('pass');
  });

  it('fails a dry run that sends a mutating request, even one the upstream refused', () => {
    const result = evaluate({ invocations: [dry()], requests: [lookup(1, 1), refused(2, 1, 503, { fault: '503-before-commit' })] });
    expectStatus(result, 'fail');
    expect(result.message).toBe('create-order: dry run invocation 1 (dry-run, exit 0): it sent request 2 (POST /charges to payments, fault 503-before-commit, got 503)');
    expect(result.evidence).toEqual({ invocations: [1], requests: [2], effects: [] });
  });

  it('judges only what a dry run sent, so one that failed on a faulted read passes, and one that sent a POST does not', () => {
    const faultedRead = lookup(1, 1, { fault: '503-before-commit', upstreamStatus: null, clientStatus: 503, outcome: 'not-run' });
    const failed = evaluate({ invocations: [dry({ exitCode: 75, effect: 'unknown' })], requests: [faultedRead] });
    expectStatus(failed, 'pass');
    const sent = evaluate({ invocations: [dry({ exitCode: 75, effect: 'unknown' })], requests: [faultedRead, req(2, 1)], effects: [eff(1, 2)] });
    expectStatus(sent, 'fail');
    expect(sent.message).not.toContain('not a success code');
    expect(sent.message).toContain('it sent request 2');
  });

  it('fails a dry run that commits, naming the effect', () => {
    const result = evaluate({ invocations: [dry()], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('it sent request 1 (POST /charges to payments, got 201)');
    expect(result.message).toContain(`it committed effect 1 (cha_1, request 1, key ${KEY})`);
    expect(result.evidence).toEqual({ invocations: [1], requests: [1], effects: [1] });
  });

  it('does not judge what a dry run says (effect-field does)', () => {
    expectStatus(evaluate({ invocations: [dry({ effect: 'created', exitCode: 1 })] }), 'pass');
  });
});

describe('dry-run-no-effects: the words of each verdict (issue 18, mutation testing)', () => {
  it('counts the reads of a passing dry run', () => {
    expect(evaluate({ invocations: [dry()] }).message).toBe('create-order: the dry run sent no mutating request (0 reads)');
    expect(evaluate({ invocations: [dry()], requests: [lookup(1, 1), lookup(2, 1)] }).message).toBe('create-order: the dry run sent no mutating request (2 reads)');
  });

  it('names every mutating request and every effect of a failing one', () => {
    const result = evaluate({ invocations: [dry()], requests: [req(1, 1), req(2, 1)], effects: [eff(1, 1), eff(2, 2)] });
    expect(result.message).toBe(
      'create-order: dry run invocation 1 (dry-run, exit 0): it sent request 1 (POST /charges to payments, got 201); request 2 (POST /charges to payments, got 201); ' +
        `it committed effect 1 (cha_1, request 1, key ${KEY}); effect 2 (cha_2, request 2, key ${KEY})`,
    );
    expect(result.evidence).toEqual({ invocations: [1], requests: [1, 2], effects: [1, 2] });
  });
});

describeEndToEnd('dry-run-no-effects end to end', () => {
  it('fails a tool whose --dry-run still sends the POST', async () => {
    const run = await runProbeTool({ bug: 'dry-run-posts', faults: ['none'], probes: { dryRun: true }, dryRun: true });
    const result = run.check('create-order/probe:dry-run', 'dry-run-no-effects');
    expectStatus(result, 'fail');
    expect(result.message).toMatch(/^create-order: dry run invocation 1 \(dry-run, exit 0\): it sent request 1 \(POST \/charges to payments, got 201\); it committed effect 1 \(cha_1, request 1, key rp-/);
    expect(result.evidence).toEqual({ invocations: [1], requests: [1], effects: [1] });
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual(['dry-run-no-effects']);
  });

  it('passes its twin, whose dry run only looks up', async () => {
    const run = await runProbeTool({ faults: ['none'], probes: { dryRun: true }, dryRun: true });
    const result = run.check('create-order/probe:dry-run', 'dry-run-no-effects');
    expectStatus(result, 'pass');
    expect(result.message).toBe('create-order: the dry run sent no mutating request (1 read)');
    expect(run.check('create-order/none', 'dry-run-no-effects').status).toBe('skip');
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual([]);
  });
});
