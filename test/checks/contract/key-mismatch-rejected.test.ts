import { describe, expect, it } from 'vitest';
import { keyMismatchRejected } from '../../../src/checks/contract/key-mismatch-rejected.js';
import { eff, httpInv, input, inv, KEY, killedInv, refused, req, type Spec } from '../../fixtures/check-targets-2/rows.js';
import { expectStatus, problems, runProbeTool } from '../../fixtures/check-targets-2/run-probe-tool.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const evaluate = (spec: Spec) => keyMismatchRejected.evaluate(input(spec));
const mismatch = (id: number, overrides: Parameters<typeof inv>[1] = {}) =>
  inv(id, { role: 'mismatch', exitCode: 3, effect: 'none', ...overrides });
const probe = { caller: { replay: false, mismatch: true } };

describe('key-mismatch-rejected on hand-built rows', () => {
  it('is skipped outside a key-mismatch probe, and says why when the probe could not send it', () => {
    const plain = evaluate({ invocations: [inv(1)], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(plain, 'skip');
    expect(plain.message).toBe('create-order: not a key-mismatch probe (no invocation reused the key with another payload)');
    const neverSent = evaluate({ ...probe, invocations: [inv(1, { exitCode: 75, effect: 'unknown' })] });
    expectStatus(neverSent, 'skip');
    expect(neverSent.message).toContain('the mismatch was never sent');
  });

  it('passes a command that refuses with a failure exit and sends nothing', () => {
    const result = evaluate({ ...probe, invocations: [inv(1), mismatch(2)], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe(`create-order: the same key ${KEY} with a different payload was refused (exit 3)`);
  });

  it('passes a refusal that came from the upstream (its 422 commits nothing)', () => {
    const result = evaluate({
      ...probe,
      invocations: [inv(1), mismatch(2, { exitCode: 1 })],
      requests: [req(1, 1), refused(2, 2, 422, { upstreamStatus: 422, outcome: 'rejected' })],
      effects: [eff(1, 1)],
    });
    expectStatus(result, 'pass');
  });

  it('fails a command that answers the other payload with success, even without committing', () => {
    const result = evaluate({ ...probe, invocations: [inv(1), mismatch(2, { exitCode: 0, effect: 'noop' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(result, 'fail');
    expect(result.message).toBe(
      `create-order: the same key ${KEY} with a different payload was not refused: invocation 2 (mismatch, exit 0) exited with a success code and reported effect "noop" instead of refusing`,
    );
    expect(result.evidence).toEqual({ invocations: [2], requests: [] });
  });

  it('passes a refusal that committed anyway: the effects half, mismatch-commits-nothing, fails it', () => {
    const result = evaluate({
      ...probe,
      invocations: [inv(1), mismatch(2)],
      requests: [req(1, 1), req(2, 2, { body: '{"amount":101}' })],
      effects: [eff(1, 1), eff(2, 2, { body: '{"amount":101}' })],
    });
    expectStatus(result, 'pass');
  });

  it('does not blame a mismatch that a crash fault killed after the upstream refused it (issue 13, class 6)', () => {
    const result = evaluate({
      ...probe,
      invocations: [inv(1), killedInv(2, { role: 'mismatch', killReason: 'crash' })],
      requests: [req(1, 1), refused(2, 2, 422, { upstreamStatus: 422, outcome: 'rejected', fault: 'crash-after-commit', delivery: 'crashed', clientStatus: null })],
      effects: [eff(1, 1)],
    });
    expectStatus(result, 'skip');
    // Says what happened: the fault's name says "after commit", but payments refused the request and nothing committed.
    expect(result.message).toBe(
      `create-order: the mismatch invocation 2 (mismatch, killed (crash)) was stopped by a fault of the schedule, not judged: crash-after-commit on request 2: payments refused it (422), nothing committed; the target was killed before the answer reached it`,
    );
  });

  it('does not blame an http mismatch whose own upstream call was faulted, unless it answered 2xx (issue 18, hole 9)', () => {
    const first = httpInv(1, 201, { id: 'ord_1' });
    const faulted = { fault: '503-before-commit', committed: false, outcome: 'not-run' as const, clientStatus: 503 };
    const failed = evaluate({ ...probe, invocations: [first, httpInv(2, 502, { error: 'upstream' }, { role: 'mismatch' })], requests: [req(1, 1), req(2, 2, faulted)], effects: [eff(1, 1)] });
    expectStatus(failed, 'skip');
    const claimed = evaluate({ ...probe, invocations: [first, httpInv(2, 201, { id: 'ord_2' }, { role: 'mismatch' })], requests: [req(1, 1), req(2, 2, faulted)], effects: [eff(1, 1)] });
    expectStatus(claimed, 'fail');
  });

  it('fails a mismatch invocation that was killed: it never refused', () => {
    const result = evaluate({ ...probe, invocations: [inv(1), killedInv(2, { role: 'mismatch' })], effects: [] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('invocation 2 (mismatch, killed (timeout)) gave no answer instead of refusing');
  });

  it('honours a custom success contract', () => {
    const result = evaluate({ ...probe, exitCodes: { success: [0, 3], failure: [1] }, invocations: [inv(1), mismatch(2)] });
    expectStatus(result, 'fail');
  });

  describe('http targets', () => {
    const first = httpInv(1, 201, { id: 'ord_1' });
    it('passes 422 and only 422', () => {
      const ok = evaluate({ ...probe, invocations: [first, httpInv(2, 422, { error: 'key reused' }, { role: 'mismatch' })] });
      expectStatus(ok, 'pass');
      expect(ok.message).toContain('was refused (422)');
    });

    it('fails any other status and says what came back', () => {
      const conflict = evaluate({ ...probe, invocations: [first, httpInv(2, 409, { error: 'in flight' }, { role: 'mismatch' })] });
      expectStatus(conflict, 'fail');
      expect(conflict.message).toContain('invocation 2 (mismatch, HTTP 409) answered 409 (body {"error":"in flight"}) instead of 422');
      const replayed = evaluate({ ...probe, invocations: [first, httpInv(2, 201, { id: 'ord_1' }, { role: 'mismatch' })] });
      expectStatus(replayed, 'fail');
      expect(replayed.message).toContain('answered 201');
      const badRequest = evaluate({ ...probe, invocations: [first, httpInv(2, 400, null, { role: 'mismatch' })] });
      expect(badRequest.message).toContain('answered 400');
    });

    it('fails a request that got no response', () => {
      const result = evaluate({ ...probe, invocations: [first, httpInv(2, null, null, { role: 'mismatch', error: 'ECONNRESET' })] });
      expectStatus(result, 'fail');
      expect(result.message).toContain('invocation 2 (mismatch, no response: ECONNRESET) got no response instead of 422');
    });

    it('passes a 422 whose request committed: that is mismatch-commits-nothing\'s to fail', () => {
      const result = evaluate({
        ...probe,
        invocations: [first, httpInv(2, 422, { error: 'key reused' }, { role: 'mismatch' })],
        requests: [req(1, 1), req(2, 2)],
        effects: [eff(1, 1), eff(2, 2)],
      });
      expectStatus(result, 'pass');
    });
  });
});

describeEndToEnd('key-mismatch-rejected end to end', () => {
  it('fails a tool that charges a known key with another payload', async () => {
    const run = await runProbeTool({ bug: 'mismatch-charges', faults: ['none'], probes: { mismatch: true }, honoursKey: false });
    const result = run.check('create-order/probe:key-mismatch', 'key-mismatch-rejected');
    expectStatus(result, 'fail');
    expect(result.message).toMatch(/invocation 2 \(mismatch, exit 0\) exited with a success code and reported effect "created" instead of refusing$/);
    expect(result.evidence).toEqual({ invocations: [2], requests: [2] });
    expect(run.check('create-order/none', 'key-mismatch-rejected').status).toBe('skip');
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual(['mismatch-commits-nothing', 'key-mismatch-rejected']);
  });

  it('passes its twin, which refuses with exit 3', async () => {
    const run = await runProbeTool({ faults: ['none'], probes: { mismatch: true }, honoursKey: false });
    const result = run.check('create-order/probe:key-mismatch', 'key-mismatch-rejected');
    expectStatus(result, 'pass');
    expect(result.message).toContain('was refused (exit 3)');
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual([]);
  });
});

describe('key-mismatch-rejected: the branches mutation testing left open (issue 18)', () => {
  const faulted = { fault: '503-before-commit', committed: false, outcome: 'not-run' as const, clientStatus: 503 };

  it('says exactly why a mismatch was never sent', () => {
    const result = evaluate({ ...probe, invocations: [inv(1, { exitCode: 75, effect: 'unknown' })] });
    expect(result.message).toBe('create-order: the mismatch was never sent (it follows a success, and no attempt succeeded)');
  });

  it('judges a mismatch whose request was only slowed', () => {
    const result = evaluate({ ...probe, invocations: [inv(1), mismatch(2, { exitCode: 0, effect: 'created' })], requests: [req(1, 1), req(2, 2, { fault: 'slow' })], effects: [eff(1, 1)] });
    expectStatus(result, 'fail');
    expect(result.evidence).toEqual({ invocations: [2], requests: [2] });
  });

  it('judges a faulted command mismatch that claims success, and skips one that failed or gave no exit code', () => {
    const claimed = evaluate({ ...probe, invocations: [inv(1), mismatch(2, { exitCode: 0, effect: 'created' })], requests: [req(1, 1), req(2, 2, faulted)], effects: [eff(1, 1)] });
    expectStatus(claimed, 'fail');
    expect(claimed.message).toContain('invocation 2 (mismatch, exit 0) exited with a success code and reported effect "created" instead of refusing');
    const stopped = evaluate({ ...probe, invocations: [inv(1), mismatch(2, { exitCode: 1 })], requests: [req(1, 1), req(2, 2, faulted)], effects: [eff(1, 1)] });
    expectStatus(stopped, 'skip');
    expect(stopped.message).toBe(
      'create-order: the mismatch invocation 2 (mismatch, exit 1) was stopped by a fault of the schedule, not judged: 503-before-commit on request 2: payments did not run it, nothing committed; the client got 503',
    );
    const noCode = evaluate({ ...probe, invocations: [inv(1), mismatch(2, { exitCode: null })], requests: [req(1, 1), req(2, 2, faulted)], effects: [eff(1, 1)] });
    expectStatus(noCode, 'skip');
    const signalled = evaluate({ ...probe, invocations: [inv(1), mismatch(2, { exitCode: 0, signal: 'SIGTERM' })], requests: [req(1, 1), req(2, 2, faulted)], effects: [eff(1, 1)] });
    expectStatus(signalled, 'skip');
  });

  it('judges a faulted http mismatch that answered a 2xx, at the edges of 2xx', () => {
    const first = httpInv(1, 201, { id: 'ord_1' });
    const answered = (status: number | null) =>
      evaluate({ ...probe, invocations: [first, httpInv(2, status, { id: 'ord_2' }, { role: 'mismatch' })], requests: [req(1, 1), req(2, 2, faulted)], effects: [eff(1, 1)] });
    expectStatus(answered(200), 'fail');
    expectStatus(answered(299), 'fail');
    expectStatus(answered(300), 'skip');
    expectStatus(answered(199), 'skip');
    expectStatus(answered(null), 'skip');
    const killedHttp = evaluate({
      ...probe,
      invocations: [first, httpInv(2, 201, { id: 'ord_2' }, { role: 'mismatch', killed: true, killReason: 'crash' })],
      requests: [req(1, 1), req(2, 2, faulted)],
      effects: [eff(1, 1)],
    });
    expectStatus(killedHttp, 'skip');
  });

  it('fails a mismatch ended by a signal, or without exit code, and one that succeeded without saying an effect', () => {
    const signalled = evaluate({ ...probe, invocations: [inv(1), mismatch(2, { exitCode: null, signal: 'SIGTERM' })] });
    expectStatus(signalled, 'fail');
    expect(signalled.message).toContain('invocation 2 (mismatch, ended by SIGTERM) gave no answer instead of refusing');
    const noCode = evaluate({ ...probe, invocations: [inv(1), mismatch(2, { exitCode: null })] });
    expectStatus(noCode, 'fail');
    expect(noCode.message).toBe(`create-order: the same key ${KEY} with a different payload was not refused: invocation 2 (mismatch, exit null) gave no exit code instead of refusing`);
    const silent = evaluate({ ...probe, invocations: [inv(1), mismatch(2, { exitCode: 0, effect: null, stdoutJson: null })] });
    expect(silent.message).toBe(`create-order: the same key ${KEY} with a different payload was not refused: invocation 2 (mismatch, exit 0) exited with a success code instead of refusing`);
  });

  it('reads the target kind from the scenario when the mismatch row does not say it', () => {
    const untyped = httpInv(2, 200, { id: 'ord_1' }, { role: 'mismatch', targetKind: undefined });
    const result = evaluate({ ...probe, scenario: { targetKind: 'http' }, invocations: [untyped] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('answered 200 (body {"id":"ord_1"}) instead of 422');
    const asCommand = evaluate({ ...probe, scenario: { targetKind: 'command' }, invocations: [{ ...untyped, exitCode: 3 }] });
    expectStatus(asCommand, 'pass');
    expect(asCommand.message).toContain('(exit 3)');
  });

  it('quotes an http body that is not JSON', () => {
    const result = evaluate({ ...probe, invocations: [httpInv(1, 201, { id: 'ord_1' }), httpInv(2, 500, null, { role: 'mismatch', stdout: 'Internal Server Error' })] });
    expect(result.message).toContain('answered 500 (body "Internal Server Error") instead of 422');
  });
});

describe('key-mismatch-rejected: survivors of the mutation run (issue 18)', () => {
  it('judges, and passes, a refusal whose request was only slowed', () => {
    const result = evaluate({ ...probe, invocations: [inv(1), mismatch(2)], requests: [req(1, 1), refused(2, 2, 422, { fault: 'slow', upstreamStatus: 422, outcome: 'rejected' })], effects: [eff(1, 1)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe(`create-order: the same key ${KEY} with a different payload was refused (exit 3)`);
  });

  it('names every faulted request of a mismatch it does not judge', () => {
    const unavailable = { fault: '503-before-commit', committed: false, outcome: 'not-run' as const, clientStatus: 503 };
    const result = evaluate({ ...probe, invocations: [inv(1), mismatch(2, { exitCode: 1 })], requests: [req(1, 1), req(2, 2, unavailable), req(3, 2, unavailable)], effects: [eff(1, 1)] });
    expectStatus(result, 'skip');
    expect(result.message).toBe(
      'create-order: the mismatch invocation 2 (mismatch, exit 1) was stopped by a fault of the schedule, not judged: ' +
        '503-before-commit on request 2: payments did not run it, nothing committed; the client got 503; ' +
        '503-before-commit on request 3: payments did not run it, nothing committed; the client got 503',
    );
  });
});
