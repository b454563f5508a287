import { describe, expect, it } from 'vitest';
import { effectField } from '../../../src/checks/contract/effect-field.js';
import { failuresOf, runCareful } from '../careful-tool.js';
import { caseInput, invocation, killed, printed } from '../rows.js';
import { eff, httpInv, input, inv, killedInv, lookup, req, type Spec } from '../../fixtures/check-targets-2/rows.js';
import { expectStatus } from '../../fixtures/check-targets-2/run-probe-tool.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const evaluate = (spec: Parameters<typeof caseInput>[0]) => effectField.evaluate(caseInput(spec));
const VOCABULARY = 'which is not one of created, updated, deleted, noop, would_*, none, unknown';

describe('effect-field on hand-written rows', () => {
  it('passes every word of the vocabulary', () => {
    const words = ['created', 'updated', 'deleted', 'noop', 'would_create', 'would_delete', 'none', 'unknown'];
    const result = evaluate({
      invocations: words.map((effect, i) => invocation(i + 1, { effect, exitCode: ['none', 'unknown'].includes(effect) ? 1 : 0 })),
    });
    expect(result.status).toBe('pass');
    expect(result.message).toBe('create-order: every invocation reported its effect');
  });

  it('flags plain text, quoting what it printed and naming the invocation', () => {
    const result = evaluate({ invocations: [printed(1, 'order created: cha_1\n')] });
    expect(result.status).toBe('fail');
    expect(result.message).toBe('create-order: invocation 1 (attempt, exit 0) printed no JSON object (stdout: "order created: cha_1\\n")');
    expect(result.evidence).toEqual({ invocations: [1] });
  });

  it('flags empty output and JSON that is not an object', () => {
    for (const stdout of ['', '[{"effect":"created"}]', '"created"', '42', 'null']) {
      const result = evaluate({ invocations: [printed(1, stdout)] });
      expect(result.status, stdout).toBe('fail');
      expect(result.message, stdout).toContain('printed no JSON object');
    }
  });

  it('quotes at most 80 characters of the output', () => {
    const result = evaluate({ invocations: [printed(1, 'x'.repeat(500))] });
    expect(result.status).toBe('fail');
    expect(result.message).toContain(`(stdout: "${'x'.repeat(80)}")`);
    expect(result.message).not.toContain('x'.repeat(81));
  });

  it('flags JSON without an "effect" field', () => {
    const result = evaluate({ invocations: [printed(1, '{"ok":true,"id":"cha_1"}')] });
    expect(result.status).toBe('fail');
    expect(result.message).toBe('create-order: invocation 1 (attempt, exit 0) printed JSON without an "effect" field');
    expect(result.evidence).toEqual({ invocations: [1] });
  });

  it('flags an "effect" that is not a string', () => {
    for (const stdout of ['{"effect":42}', '{"effect":null}', '{"effect":{"kind":"created"}}']) {
      const result = evaluate({ invocations: [printed(1, stdout)] });
      expect(result.status, stdout).toBe('fail');
      expect(result.message, stdout).toMatch(/create-order: invocation 1 .*effect/);
    }
  });

  it('flags effects outside the vocabulary', () => {
    for (const effect of ['failed', 'success', 'Created', 'CREATED', 'create', 'error', '']) {
      const result = evaluate({ invocations: [printed(1, JSON.stringify({ effect }), { exitCode: 1 })] });
      expect(result.status, effect).toBe('fail');
      expect(result.message, effect).toBe(`create-order: invocation 1 (attempt, exit 1) reported effect "${effect}", ${VOCABULARY}`);
    }
  });

  it('judges failures and the replay too, and names every offender', () => {
    const result = evaluate({
      invocations: [printed(1, 'error: HTTP 503\n', { exitCode: 1 }), invocation(2), printed(3, '{"ok":true}', { role: 'replay' })],
    });
    expect(result.status).toBe('fail');
    expect(result.message).toContain('invocation 1 (attempt, exit 1) printed no JSON object');
    expect(result.message).toContain('invocation 3 (replay, exit 0) printed JSON without an "effect" field');
    expect(result.evidence).toEqual({ invocations: [1, 3] });
  });

  it('ignores killed invocations: they had no chance to answer', () => {
    const result = evaluate({ invocations: [killed(1), killed(2, { killReason: 'timeout', stdout: 'sending...\n' }), invocation(3, { effect: 'noop' })] });
    expect(result.status).toBe('pass');
  });
});

describeEndToEnd('effect-field end to end', () => {
  it('catches a tool that prints plain text on errors (and fails only this check)', async () => {
    const result = await runCareful({ bug: 'plain-text-errors', faults: ['503-before-commit'] });
    expect(result.failedChecks).toEqual(['effect-field']);
    const [failure, ...others] = failuresOf(result, 'effect-field');
    expect(others).toEqual([]);
    expect(failure!.caseId).toBe('create-order/503-before-commit@payments#1');
    expect(failure!.message).toBe('create-order: invocation 1 (attempt, exit 1) printed no JSON object (stdout: "error: the payments API answered HTTP 503\\n")');
    expect(failure!.evidence).toEqual({ invocations: [1] });
  });

  it('catches a tool that prints JSON without "effect" on errors', async () => {
    const result = await runCareful({ bug: 'no-effect-field', faults: ['503-before-commit'] });
    expect(result.failedChecks).toEqual(['effect-field']);
    expect(failuresOf(result, 'effect-field')[0]!.message).toBe('create-order: invocation 1 (attempt, exit 1) printed JSON without an "effect" field');
  });

  it('catches a tool that reports effect "failed"', async () => {
    const result = await runCareful({ bug: 'bad-effect', faults: ['503-before-commit'] });
    expect(result.failedChecks).toEqual(['effect-field']);
    expect(failuresOf(result, 'effect-field')[0]!.message).toBe(`create-order: invocation 1 (attempt, exit 1) reported effect "failed", ${VOCABULARY}`);
  });

  it('passes the twin that reports {"effect":"unknown"} on errors', async () => {
    const result = await runCareful({ faults: ['503-before-commit'] });
    expect(result.failedChecks).toEqual([]);
    expect(result.checks['effect-field']).toEqual({ pass: 2, fail: 0, warn: 0, skip: 0 });
  });
});

describe('effect-field on a dry run (its wording moved here from dry-run-no-effects)', () => {
  const evaluateDry = (spec: Spec) => effectField.evaluate(input({ caller: { retries: 0, replay: false, dryRun: true }, ...spec }));
  const dry = (overrides: Parameters<typeof inv>[1] = {}) => inv(1, { role: 'dry-run', effect: 'would_create', ...overrides });

  it('passes a dry run that says would_create or noop with a success', () => {
    expectStatus(evaluateDry({ invocations: [dry()] }), 'pass');
    expectStatus(evaluateDry({ invocations: [dry({ effect: 'noop' })] }), 'pass');
  });

  it('fails a dry run that reports another effect, none at all, or fails', () => {
    expect(evaluateDry({ invocations: [dry({ effect: 'created' })] }).message).toContain('it reported effect "created" (expected would_* or noop)');
    expect(evaluateDry({ invocations: [dry({ effect: null, stdoutJson: {} })] }).message).toContain('printed JSON without an "effect" field');
    const exitOne = evaluateDry({ invocations: [dry({ exitCode: 1 })] });
    expectStatus(exitOne, 'fail');
    expect(exitOne.message).toContain('it exited 1, not a success code');
    const killedRun = evaluateDry({ invocations: [killedInv(1, { role: 'dry-run' })] });
    expect(killedRun.message).toContain('it gave no answer');
  });

  it('does not blame a dry run for failing when its own read was faulted', () => {
    const faultedRead = lookup(1, 1, { fault: '503-before-commit', upstreamStatus: null, clientStatus: 503, outcome: 'not-run' });
    expectStatus(evaluateDry({ invocations: [dry({ exitCode: 75, effect: 'unknown' })], requests: [faultedRead] }), 'pass');
  });

  it('judges an http dry run by its status and the effect in its body', () => {
    expectStatus(evaluateDry({ invocations: [httpInv(1, 200, { effect: 'would_create' }, { role: 'dry-run' })] }), 'pass');
    const created = evaluateDry({ invocations: [httpInv(1, 201, { effect: 'created' }, { role: 'dry-run' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(created, 'fail');
    expect(created.message).toContain('the dry run invocation 1 (dry-run, HTTP 201): it reported effect "created"');
    const refusedRun = evaluateDry({ invocations: [httpInv(1, 400, { effect: 'would_create' }, { role: 'dry-run' })] });
    expect(refusedRun.message).toContain('it answered 400, not a 2xx');
  });
});

describe('effect-field on http targets (mutation testing, issue 18)', () => {
  const evaluateHttp = (spec: Spec) => effectField.evaluate(input(spec));

  it('is skipped for an API none of whose answered responses carries "effect", and counts those responses', () => {
    const one = evaluateHttp({ invocations: [httpInv(1, 201, { id: 'ord_1' })] });
    expectStatus(one, 'skip');
    expect(one.message).toBe('create-order: http target whose responses carry no "effect" field (1 response); its status codes say what happened');
    // A killed invocation and one without response are not counted, even when a body was recorded.
    const two = evaluateHttp({
      invocations: [
        httpInv(1, 201, { id: 'ord_1' }),
        httpInv(2, 200, { id: 'ord_1' }, { role: 'replay' }),
        killedInv(3, { targetKind: 'http', httpStatus: 201, stdoutJson: { effect: 'created' } }),
        httpInv(4, null, { effect: 'created' }, { effect: null }),
        httpInv(5, undefined as unknown as null, { effect: 'created' }, { effect: null }),
      ],
    });
    expectStatus(two, 'skip');
    expect(two.message).toContain('(2 responses)');
    expect(evaluateHttp({ invocations: [] , scenario: { targetKind: 'http' } }).message).toContain('(0 responses)');
  });

  it('holds every response of an API that puts "effect" in some, whatever its status, and says how each one fails', () => {
    const result = evaluateHttp({
      invocations: [
        httpInv(1, 503, null, { stdout: 'Service Unavailable' }),
        httpInv(2, 201, { id: 'ord_1', effect: 'created' }),
        httpInv(3, 200, { id: 'ord_1' }, { role: 'replay' }),
        httpInv(4, 200, { effect: 'replayed' }, { role: 'replay' }),
        httpInv(5, null, null, { error: 'ECONNRESET' }),
      ],
    });
    expectStatus(result, 'fail');
    expect(result.message).toBe(
      'create-order: invocation 1 (attempt, HTTP 503) answered with no JSON object (body: "Service Unavailable"), though other responses carry "effect"; ' +
        'invocation 3 (replay, HTTP 200) answered JSON without an "effect" field, though other responses carry one; ' +
        `invocation 4 (replay, HTTP 200) reported effect "replayed", ${VOCABULARY}`,
    );
    expect(result.evidence).toEqual({ invocations: [1, 3, 4] });
  });

  it('opts an API in by any "effect" member, even one that is not a string', () => {
    const result = evaluateHttp({ invocations: [httpInv(1, 201, { effect: 42 }), httpInv(2, 200, { id: 'ord_1' }, { role: 'replay' })] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('invocation 1 (attempt, HTTP 201) answered JSON without an "effect" field');
    expect(result.message).toContain('invocation 2 (replay, HTTP 200) answered JSON without an "effect" field');
  });

  it('reads the target kind from the scenario when the rows do not say it', () => {
    const untyped = httpInv(1, 201, { id: 'ord_1' }, { targetKind: undefined });
    expectStatus(evaluateHttp({ invocations: [untyped], scenario: { targetKind: 'http' } }), 'skip');
    // As a command, the same rows print JSON without "effect".
    expectStatus(evaluateHttp({ invocations: [inv(1, { effect: null, stdoutJson: { id: 'ord_1' } })], scenario: { targetKind: 'command' } }), 'fail');
  });

  it('judges an http dry run by its status: no response, or outside 2xx, fails', () => {
    const evaluateDry = (spec: Spec) => effectField.evaluate(input({ caller: { retries: 0, replay: false, dryRun: true }, ...spec }));
    const dry = (status: number | null) => httpInv(1, status, { effect: 'would_create' }, { role: 'dry-run' });
    expectStatus(evaluateDry({ invocations: [dry(200)] }), 'pass');
    expectStatus(evaluateDry({ invocations: [dry(299)] }), 'pass');
    const redirect = evaluateDry({ invocations: [dry(300)] });
    expectStatus(redirect, 'fail');
    expect(redirect.message).toBe('create-order: the dry run invocation 1 (dry-run, HTTP 300): it answered 300, not a 2xx');
    expect(redirect.evidence).toEqual({ invocations: [1] });
    expect(evaluateDry({ invocations: [dry(199)] }).message).toContain('it answered 199, not a 2xx');
    const silent = evaluateDry({ invocations: [httpInv(2, 200, { effect: 'created' }), httpInv(1, null, null, { role: 'dry-run' })] });
    expectStatus(silent, 'fail');
    expect(silent.message).toBe('create-order: the dry run invocation 1 (dry-run, no response): it reported no effect field (expected would_* or noop); it answered nothing, not a 2xx');
  });
});

describe('effect-field on a command dry run: the branches mutation testing left open (issue 18)', () => {
  const evaluateDry = (spec: Spec) => effectField.evaluate(input({ caller: { retries: 0, replay: false, dryRun: true }, ...spec }));
  const dry = (overrides: Parameters<typeof inv>[1] = {}) => inv(1, { role: 'dry-run', effect: 'would_create', ...overrides });

  it('names a dry run once, when its output already failed the vocabulary', () => {
    const result = evaluateDry({ invocations: [dry({ effect: 'created_maybe', exitCode: 1 })] });
    expectStatus(result, 'fail');
    expect(result.message).toBe(`create-order: invocation 1 (dry-run, exit 1) reported effect "created_maybe", ${VOCABULARY}`);
    expect(result.evidence).toEqual({ invocations: [1] });
  });

  it('judges a dry run that was only slowed, and one whose faulted request belonged to another invocation', () => {
    const slowed = lookup(1, 1, { fault: 'slow' });
    const failedDry = dry({ exitCode: 1, effect: 'none' });
    expectStatus(evaluateDry({ invocations: [failedDry], requests: [slowed] }), 'fail');
    const elsewhere = lookup(2, 2, { fault: '503-before-commit', upstreamStatus: null, clientStatus: 503, outcome: 'not-run' });
    const result = evaluateDry({ invocations: [failedDry, inv(2, { exitCode: 1, effect: 'none' })], requests: [elsewhere] });
    expectStatus(result, 'fail');
    expect(result.message).toBe('create-order: the dry run invocation 1 (dry-run, exit 1): it reported effect "none" (expected would_* or noop); it exited 1, not a success code');
  });

  it('says a killed dry run gave no answer and a dry run without exit code did not succeed', () => {
    const killedRun = evaluateDry({ invocations: [killedInv(1, { role: 'dry-run' })] });
    expect(killedRun.message).toBe('create-order: the dry run invocation 1 (dry-run, killed (timeout)): it reported no effect field (expected would_* or noop); it gave no answer');
    const signalled = evaluateDry({ invocations: [dry({ exitCode: null, signal: 'SIGTERM' })] });
    expect(signalled.message).toBe('create-order: the dry run invocation 1 (dry-run, ended by SIGTERM): it gave no answer');
    const noCode = evaluateDry({ invocations: [dry({ exitCode: null })] });
    expect(noCode.message).toBe('create-order: the dry run invocation 1 (dry-run, exit null): it exited null, not a success code');
  });
});

describe('effect-field: survivors of the mutation run (issue 18)', () => {
  it('does not judge a command that a signal it was not sent by the harness ended: it had no chance to answer', () => {
    const result = evaluate({ invocations: [invocation(1, { exitCode: null, signal: 'SIGSEGV', effect: null, stdoutJson: null, stdout: '' }), invocation(2)] });
    expect(result.status).toBe('pass');
  });

  it('judges a case with requests and no dry run like any other', () => {
    const result = effectField.evaluate(input({ invocations: [inv(1)], requests: [req(1, 1)], effects: [eff(1, 1)] }));
    expectStatus(result, 'pass');
    expect(result.message).toBe('create-order: every invocation reported its effect');
  });
});

describe('effect-field: an invocation the harness killed that still exited (mutation testing, issue 18)', () => {
  it('does not judge a command that exited with a code on the SIGTERM of its timeout, nor a module call that settled in the grace period', () => {
    const result = evaluate({
      invocations: [
        killed(1, { killReason: 'timeout', signal: null, exitCode: 143, stdout: 'shutting down\n' }),
        killed(2, { killReason: 'timeout', signal: null, exitCode: 0, stdoutJson: { ok: true }, stdout: '{"ok":true}\n' }),
        invocation(3, { effect: 'noop' }),
      ],
    });
    expect(result.status).toBe('pass');
    expect(result.message).toBe('create-order: every invocation reported its effect');
  });
});
