import { describe, expect, it } from 'vitest';
import { exitCodes } from '../../../src/checks/contract/exit-codes.js';
import { failuresOf, runCareful } from '../careful-tool.js';
import { DEFAULT_CHECK_SCENARIO } from '../../../src/checks/check.js';
import { caseInput, effect, invocation, killed, printed, request } from '../rows.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const evaluate = (spec: Parameters<typeof caseInput>[0]) => exitCodes.evaluate(caseInput(spec));

describe('exit-codes on hand-written rows', () => {
  it('passes success effects with a success code and failure effects with a failure code', () => {
    const result = evaluate({
      invocations: [
        invocation(1, { exitCode: 1, effect: 'unknown' }),
        invocation(2, { exitCode: 1, effect: 'none' }),
        invocation(3, { effect: 'created' }),
        invocation(4, { role: 'replay', effect: 'noop' }),
        invocation(5, { effect: 'updated' }),
        invocation(6, { effect: 'deleted' }),
        invocation(7, { effect: 'would_create' }),
      ],
    });
    expect(result.status).toBe('pass');
    expect(result.message).toBe('create-order: every exit code follows the contract');
  });

  it('flags an exit code the scenario does not declare, naming the invocation and the contract', () => {
    const result = evaluate({ invocations: [invocation(1, { exitCode: 7, effect: 'unknown' }), invocation(2)] });
    expect(result.status).toBe('fail');
    expect(result.message).toBe('create-order: invocation 1 (attempt, exit 7): exit code 7 is not declared (success: 0; failure: 1)');
    expect(result.evidence).toEqual({ invocations: [1] });
  });

  it('accepts every declared failure code and lists them when one is not declared', () => {
    const exitCodesContract = { success: [0], failure: [1, 3, 75] };
    const declared = evaluate({ exitCodes: exitCodesContract, invocations: [invocation(1, { exitCode: 75, effect: 'unknown' }), invocation(2, { exitCode: 3, effect: 'none' })] });
    expect(declared.status).toBe('pass');
    const usage = evaluate({ exitCodes: exitCodesContract, invocations: [invocation(1, { exitCode: 2, effect: 'none' })] });
    expect(usage.status).toBe('fail');
    expect(usage.message).toContain('exit code 2 is not declared (success: 0; failure: 1, 3, 75)');
  });

  it('flags a success effect with a failure code', () => {
    for (const effect of ['created', 'noop', 'would_create']) {
      const result = evaluate({ invocations: [invocation(1, { exitCode: 1, effect })] });
      expect(result.status, effect).toBe('fail');
      expect(result.message).toBe(`create-order: invocation 1 (attempt, exit 1): reported effect "${effect}" but exited 1, a failure code`);
      expect(result.evidence).toEqual({ invocations: [1] });
    }
  });

  it('flags a failure effect with a success code: "none" or "unknown" with exit 0', () => {
    for (const effect of ['none', 'unknown']) {
      const result = evaluate({ invocations: [invocation(1, { exitCode: 0, effect })] });
      expect(result.status, effect).toBe('fail');
      expect(result.message).toBe(`create-order: invocation 1 (attempt, exit 0): reported effect "${effect}" but exited 0, a success code`);
    }
  });

  it('judges the replay too', () => {
    const result = evaluate({ invocations: [invocation(1), invocation(2, { role: 'replay', exitCode: 0, effect: 'none' })] });
    expect(result.status).toBe('fail');
    expect(result.message).toContain('invocation 2 (replay, exit 0)');
    expect(result.evidence).toEqual({ invocations: [2] });
  });

  it('names every offending invocation', () => {
    const result = evaluate({
      invocations: [invocation(1, { exitCode: 7, effect: 'unknown' }), invocation(2, { exitCode: 1, effect: 'unknown' }), invocation(3, { exitCode: 0, effect: 'none' })],
    });
    expect(result.status).toBe('fail');
    expect(result.message).toBe(
      'create-order: invocation 1 (attempt, exit 7): exit code 7 is not declared (success: 0; failure: 1); invocation 3 (attempt, exit 0): reported effect "none" but exited 0, a success code',
    );
    expect(result.evidence).toEqual({ invocations: [1, 3] });
  });

  it('ignores killed invocations: they have no exit code to judge', () => {
    const result = evaluate({ invocations: [killed(1), killed(2, { killReason: 'timeout', signal: 'SIGTERM' }), invocation(3, { effect: 'noop' })] });
    expect(result.status).toBe('pass');
  });

  it('leaves a missing or unknown effect word to effect-field', () => {
    const result = evaluate({
      invocations: [printed(1, 'error: HTTP 503\n', { exitCode: 1 }), printed(2, '{"effect":"failed"}', { exitCode: 1 }), printed(3, '{"effect":"done"}', { exitCode: 0 })],
    });
    expect(result.status).toBe('pass');
  });
});

describeEndToEnd('exit-codes end to end', () => {
  it('catches a tool that exits 7, an undeclared code, after a 503 (and fails only this check)', async () => {
    const result = await runCareful({ bug: 'undeclared-exit', faults: ['503-before-commit'] });
    expect(result.failedChecks).toEqual(['exit-codes']);
    const [failure, ...others] = failuresOf(result, 'exit-codes');
    expect(others).toEqual([]);
    expect(failure!.caseId).toBe('create-order/503-before-commit@payments#1');
    expect(failure!.message).toBe('create-order: invocation 1 (attempt, exit 7): exit code 7 is not declared (success: 0; failure: 1)');
    expect(failure!.evidence).toEqual({ invocations: [1] });
  });

  it('passes the same tool once the scenario declares 7 a failure code', async () => {
    const result = await runCareful({ bug: 'undeclared-exit', faults: ['503-before-commit'], exitCodes: { success: 0, failure: [1, 7] } });
    expect(result.failedChecks).toEqual([]);
  });

  it('catches a tool that reports "created" but exits 1 after a 503', async () => {
    const result = await runCareful({ bug: 'created-exit-1', faults: ['503-before-commit'] });
    expect(result.failedChecks).toEqual(['exit-codes']);
    const [failure] = failuresOf(result, 'exit-codes');
    expect(failure!.message).toBe('create-order: invocation 1 (attempt, exit 1): reported effect "created" but exited 1, a failure code');
  });

  it('catches a tool that reports "none" but exits 0 after a 503 after commit', async () => {
    const result = await runCareful({ bug: 'none-exit-0', faults: ['503-after-commit'] });
    expect(result.failedChecks).toEqual(['exit-codes']);
    const [failure] = failuresOf(result, 'exit-codes');
    expect(failure!.caseId).toBe('create-order/503-after-commit@payments#1');
    expect(failure!.message).toBe('create-order: invocation 1 (attempt, exit 0): reported effect "none" but exited 0, a success code');
    expect(failure!.evidence).toEqual({ invocations: [1] });
  });

  it('passes the twin that reports "unknown" and exits 1 after a 503', async () => {
    const result = await runCareful({ faults: ['503-before-commit', '503-after-commit'] });
    expect(result.failedChecks).toEqual([]);
    expect(result.checks['exit-codes']).toEqual({ pass: 3, fail: 0, warn: 0, skip: 0 });
  });
});

describe('exit-codes for http targets: the missing-key probe', () => {
  const http = (id: number, status: number | null, overrides: Parameters<typeof invocation>[1] = {}) =>
    invocation(id, { role: 'missing-key', targetKind: 'http', exitCode: null, httpStatus: status, effect: null, ...overrides });
  /** The probe runs only for an http target that declares requireKey. */
  const evaluate = (spec: Parameters<typeof caseInput>[0], requireKey = true) =>
    exitCodes.evaluate({ ...caseInput(spec), scenario: { ...DEFAULT_CHECK_SCENARIO, targetKind: 'http', requireKey } });

  it('passes a 400 that did nothing', () => {
    const result = evaluate({ invocations: [http(1, 400)], requests: [], effects: [] });
    expect(result.status).toBe('pass');
    expect(result.message).toContain('refused with 400');
  });

  it('fails an API that served a request without its required key, naming what came back and the commit', () => {
    const result = evaluate({ invocations: [http(1, 201)], requests: [request(1, 1)], effects: [effect(1, 1)] });
    expect(result.status).toBe('fail');
    expect(result.message).toBe('create-order: a request without its required Idempotency-Key answered 201 instead of 400 and committed 1 effect(s) upstream (IETF draft: 400)');
    expect(result.evidence).toEqual({ invocations: [1], requests: [1], effects: [1] });
  });

  it('holds a request without key to 400 only when the scenario requires the key (issue 18, hole 10)', () => {
    // A hand-written schedule may omit the key for an API that does not require one: then the request is
    // judged like any other (its status against the effect it reports), not held to the draft's 400.
    const served = { invocations: [http(1, 201, { effect: 'created' })], requests: [request(1, 1)], effects: [effect(1, 1)] };
    const optional = evaluate(served, false);
    expect(optional.status).toBe('pass');
    expect(optional.message).not.toContain('400');
    const required = evaluate(served, true);
    expect(required.status).toBe('fail');
    expect(required.message).toContain('instead of 400');
    // Not required, yet judged: a reported success with an error status still fails.
    const lying = evaluate({ invocations: [http(1, 500, { effect: 'created' })] }, false);
    expect(lying.status).toBe('fail');
    expect(lying.message).toContain('reported effect "created" with status 500');
  });
});

describe('exit-codes for http targets: statuses against the effect each response reports (mutation testing, issue 18)', () => {
  const http = (id: number, status: number | null, effect: string | null, overrides: Parameters<typeof invocation>[1] = {}) =>
    invocation(id, { targetKind: 'http', exitCode: null, httpStatus: status, effect, stdoutJson: effect === null ? { id: 'ord_1' } : { effect }, ...overrides });
  const evaluateHttp = (spec: Parameters<typeof caseInput>[0], requireKey = false) =>
    exitCodes.evaluate({ ...caseInput(spec), scenario: { ...DEFAULT_CHECK_SCENARIO, targetKind: 'http', requireKey } });

  it('is skipped when no answered response carries "effect"', () => {
    const result = evaluateHttp({
      invocations: [http(1, 201, null), killed(2, { targetKind: 'http', httpStatus: 201, effect: 'created' }), http(3, null, 'created'), http(4, undefined as unknown as null, 'created')],
    });
    expect(result.status).toBe('skip');
    expect(result.message).toBe('create-order: http target whose responses carry no "effect" to hold their status to');
  });

  it('passes 2xx for success effects and error statuses for none or unknown, at the edges of 2xx', () => {
    const result = evaluateHttp({
      invocations: [http(1, 200, 'created'), http(2, 299, 'noop'), http(3, 300, 'none'), http(4, 199, 'unknown'), http(5, 503, 'unknown'), http(6, 201, 'weird')],
    });
    expect(result.status).toBe('pass');
    expect(result.message).toBe('create-order: every status agrees with the effect its response reports (2xx for success, an error status for none or unknown)');
  });

  it('fails a success effect outside 2xx and a failure effect inside it, naming each invocation', () => {
    const result = evaluateHttp({
      invocations: [http(1, 300, 'created'), http(2, 200, 'none'), http(3, 199, 'would_create'), http(4, 299, 'unknown'), http(5, 201, 'created')],
    });
    expect(result.status).toBe('fail');
    expect(result.message).toBe(
      'create-order: invocation 1 (attempt, HTTP 300): reported effect "created" with status 300, not a 2xx; ' +
        'invocation 2 (attempt, HTTP 200): reported effect "none" with status 200, a success status; ' +
        'invocation 3 (attempt, HTTP 199): reported effect "would_create" with status 199, not a 2xx; ' +
        'invocation 4 (attempt, HTTP 299): reported effect "unknown" with status 299, a success status',
    );
    expect(result.evidence).toEqual({ invocations: [1, 2, 3, 4] });
  });

  it('reads the target kind from the rows when the scenario does not give it', () => {
    const result = exitCodes.evaluate(caseInput({ invocations: [http(1, 500, 'created')] }));
    expect(result.status).toBe('fail');
    expect(result.message).toContain('reported effect "created" with status 500, not a 2xx');
  });

  it('says what a missing-key request got when it got no response, and judges only the missing-key invocation\'s requests', () => {
    const probe = invocation(2, { role: 'missing-key', targetKind: 'http', exitCode: null, httpStatus: null, effect: null, error: 'ECONNRESET' });
    const result = evaluateHttp({ invocations: [http(1, 201, 'created'), probe], requests: [request(1, 1), request(2, 2, { committed: false, outcome: 'not-run' })], effects: [effect(1, 1)] }, true);
    expect(result.status).toBe('fail');
    expect(result.message).toBe('create-order: a request without its required Idempotency-Key answered nothing (ECONNRESET) instead of 400 (IETF draft: 400)');
    expect(result.evidence).toEqual({ invocations: [2], requests: [2], effects: [] });
    const silent = evaluateHttp({ invocations: [{ ...probe, error: undefined }] }, true);
    expect(silent.message).toContain('answered nothing (no response) instead of 400');
    const committed = evaluateHttp({ invocations: [{ ...probe, httpStatus: 400 }], requests: [request(2, 2)], effects: [effect(1, 2), effect(2, 2)] }, true);
    expect(committed.status).toBe('fail');
    expect(committed.message).toBe('create-order: a request without its required Idempotency-Key committed 2 effect(s) upstream (IETF draft: 400)');
    expect(committed.message).not.toContain(' and ');
  });
});

describe('exit-codes on commands: the branches mutation testing left open (issue 18)', () => {
  it('judges a code with no effect printed by its declaration only, and skips an invocation without exit code', () => {
    const result = evaluate({ invocations: [invocation(1, { effect: null, exitCode: 1, stdoutJson: null }), invocation(2, { effect: null, exitCode: 0, stdoutJson: null }), invocation(3, { exitCode: null, signal: 'SIGTERM' })] });
    expect(result.status).toBe('pass');
  });

  it('holds would_* to a success code, as any success effect', () => {
    const result = evaluate({ invocations: [invocation(1, { role: 'dry-run', effect: 'would_create', exitCode: 1 })] });
    expect(result.status).toBe('fail');
    expect(result.message).toBe('create-order: invocation 1 (dry-run, exit 1): reported effect "would_create" but exited 1, a failure code');
  });
});

describe('exit-codes: survivors of the mutation run (issue 18)', () => {
  it('lists several success codes, comma-separated, when a code is not declared', () => {
    const result = evaluate({ exitCodes: { success: [0, 2], failure: [1, 3] }, invocations: [invocation(1, { exitCode: 7 })] });
    expect(result.message).toBe('create-order: invocation 1 (attempt, exit 7): exit code 7 is not declared (success: 0, 2; failure: 1, 3)');
  });

  it('counts the commits of a missing-key request whose handler made several upstream requests', () => {
    const probe = invocation(1, { role: 'missing-key', targetKind: 'http', exitCode: null, httpStatus: 400, effect: null });
    const result = exitCodes.evaluate({
      ...caseInput({ invocations: [probe], requests: [request(1, 1, { method: 'GET', route: 'GET /charges', committed: false, outcome: 'read' }), request(2, 1)], effects: [effect(1, 2)] }),
      scenario: { ...DEFAULT_CHECK_SCENARIO, targetKind: 'http', requireKey: true },
    });
    expect(result.status).toBe('fail');
    expect(result.message).toBe('create-order: a request without its required Idempotency-Key committed 1 effect(s) upstream (IETF draft: 400)');
    expect(result.evidence).toEqual({ invocations: [1], requests: [1, 2], effects: [1] });
  });
});
