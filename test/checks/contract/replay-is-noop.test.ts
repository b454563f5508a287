import { describe, expect, it } from 'vitest';
import { replayIsNoop } from '../../../src/checks/contract/replay-is-noop.js';
import { failuresOf, runCareful } from '../careful-tool.js';
import { caseInput, effect, invocation, KEY, killed, request } from '../rows.js';
import { eff, httpInv, input, KEY as HTTP_KEY, refused, req, type Spec } from '../../fixtures/check-targets-2/rows.js';
import { expectStatus } from '../../fixtures/check-targets-2/run-probe-tool.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const evaluate = (spec: Parameters<typeof caseInput>[0]) => replayIsNoop.evaluate(caseInput(spec));
const replay = (id: number, overrides: Parameters<typeof invocation>[1] = {}) => invocation(id, { role: 'replay', effect: 'noop', ...overrides });

describe('replay-is-noop on hand-written rows', () => {
  it('is skipped when there was no replay (the operation never succeeded, or replay is off)', () => {
    const failed = evaluate({ invocations: [invocation(1, { exitCode: 1, effect: 'none' }), invocation(2, { exitCode: 1, effect: 'none' })], effects: [] });
    expect(failed.status).toBe('skip');
    expect(failed.message).toContain('create-order');
    const noReplay = evaluate({ invocations: [invocation(1)], requests: [request(1, 1)], effects: [effect(1, 1)] });
    expect(noReplay.status).toBe('skip');
  });

  it('passes a replay that exits 0, reports noop and sends nothing', () => {
    const result = evaluate({ invocations: [invocation(1), replay(2)], requests: [request(1, 1)], effects: [effect(1, 1)] });
    expect(result.status).toBe('pass');
    expect(result.message).toBe(`create-order: the replay with key ${KEY} reported noop`);
  });

  it('passes a replay whose request the upstream answered from its key store, or that only looked up', () => {
    const deduplicated = evaluate({
      invocations: [invocation(1), replay(2)],
      requests: [request(1, 1), request(2, 2, { committed: false, outcome: 'replayed' })],
      effects: [effect(1, 1)],
    });
    expect(deduplicated.status).toBe('pass');
    const lookedUp = evaluate({
      invocations: [invocation(1), replay(2)],
      requests: [request(1, 1), request(2, 2, { method: 'GET', path: `/charges?ref=${KEY}`, route: 'GET /charges', committed: false, outcome: 'read' })],
      effects: [effect(1, 1)],
    });
    expect(lookedUp.status).toBe('pass');
  });

  it('does not judge a replay whose own request was faulted', () => {
    const refused = evaluate({
      invocations: [invocation(1), replay(2, { exitCode: 75, effect: 'unknown' })],
      requests: [request(1, 1), request(2, 2, { fault: '503-before-commit', committed: false, outcome: 'not-run', clientStatus: 503 })],
      effects: [effect(1, 1)],
    });
    expect(refused.status).toBe('skip');
    expect(refused.message).toContain('503-before-commit');
    // A tool that retried its 503 itself and got the stored answer may call it its own "created" (zoo 10's twin).
    const ownRetry = evaluate({
      invocations: [invocation(1), replay(2, { effect: 'created' })],
      requests: [request(1, 1), request(2, 2, { fault: '503-before-commit', committed: false, outcome: 'not-run', clientStatus: 503 }), request(3, 2, { committed: false, outcome: 'replayed' })],
      effects: [effect(1, 1)],
    });
    expect(ownRetry.status).toBe('skip');
  });

  it('judges a replay whose request was only slowed like any other (issue 18, hole 1)', () => {
    const slowed = { fault: 'slow', committed: false, outcome: 'replayed' as const };
    expect(evaluate({ invocations: [invocation(1), replay(2, { effect: 'created' })], requests: [request(1, 1), request(2, 2, slowed)], effects: [effect(1, 1)] }).status).toBe('fail');
    expect(evaluate({ invocations: [invocation(1), replay(2)], requests: [request(1, 1), request(2, 2, slowed)], effects: [effect(1, 1)] }).status).toBe('pass');
  });

  it('fails a replay that says it created, naming the key and the invocation (what it committed is replay-commits-nothing\'s)', () => {
    const result = evaluate({
      invocations: [invocation(1), replay(2, { effect: 'created' })],
      requests: [request(1, 1), request(2, 2)],
      effects: [effect(1, 1), effect(2, 2)],
    });
    expect(result.status).toBe('fail');
    expect(result.message).toBe(`create-order: replay with key ${KEY}: it reported effect "created"`);
    expect(result.evidence).toEqual({ invocations: [2], requests: [2] });
  });

  it('fails a noop replay that names another resource than the first answer, and passes one that names the same', () => {
    const first = invocation(1, { stdoutJson: { effect: 'created', id: 'ord_1' } });
    const other = evaluate({ invocations: [first, replay(2, { stdoutJson: { effect: 'noop', id: 'ord_2' } })], requests: [request(1, 1)], effects: [effect(1, 1)] });
    expect(other.status).toBe('fail');
    expect(other.message).toBe(`create-order: replay with key ${KEY}: it names id "ord_2", but the first successful attempt (invocation 1) named "ord_1"`);
    const same = evaluate({ invocations: [first, replay(2, { stdoutJson: { effect: 'noop', id: 'ord_1', note: 'already charged' } })], requests: [request(1, 1)], effects: [effect(1, 1)] });
    expect(same.status).toBe('pass');
    // A tool that prints no id is judged on its exit code and effect only.
    const silent = evaluate({ invocations: [first, replay(2)], requests: [request(1, 1)], effects: [effect(1, 1)] });
    expect(silent.status).toBe('pass');
  });

  it('fails a replay that says "created" without sending anything', () => {
    const result = evaluate({ invocations: [invocation(1), replay(2, { effect: 'created' })], requests: [request(1, 1)], effects: [effect(1, 1)] });
    expect(result.status).toBe('fail');
    expect(result.message).toBe(`create-order: replay with key ${KEY}: it reported effect "created"`);
    expect(result.evidence).toEqual({ invocations: [2], requests: [] });
  });

  it('passes a replay that says "noop" but committed: the effects half, replay-commits-nothing, fails it', () => {
    const result = evaluate({ invocations: [invocation(1), replay(2)], requests: [request(1, 1), request(2, 2)], effects: [effect(1, 1), effect(2, 2)] });
    expect(result.status).toBe('pass');
  });

  it('fails a replay that exits with a failure code, prints no effect, or is killed', () => {
    const exitOne = evaluate({ invocations: [invocation(1), replay(2, { exitCode: 1 })], effects: [effect(1, 1)] });
    expect(exitOne.status).toBe('fail');
    expect(exitOne.message).toBe(`create-order: replay with key ${KEY}: invocation 2 (replay, exit 1) did not exit with a success code`);

    const noEffect = evaluate({ invocations: [invocation(1), replay(2, { effect: null, stdoutJson: null, stdout: 'already done\n' })], effects: [effect(1, 1)] });
    expect(noEffect.status).toBe('fail');
    expect(noEffect.message).toContain('it reported no effect field');

    const timedOut = evaluate({ invocations: [invocation(1), killed(2, { role: 'replay', killReason: 'timeout' })], effects: [effect(1, 1)] });
    expect(timedOut.status).toBe('fail');
    expect(timedOut.message).toContain('invocation 2 (replay, killed (timeout)) did not exit with a success code');
    expect(timedOut.evidence?.invocations).toEqual([2]);
  });

  it('lists every problem of one replay', () => {
    const result = evaluate({
      invocations: [invocation(1), replay(2, { exitCode: 1, effect: 'created' })],
      requests: [request(1, 1), request(2, 2)],
      effects: [effect(1, 1), effect(2, 2)],
    });
    expect(result.status).toBe('fail');
    expect(result.message).toContain('did not exit with a success code');
    expect(result.message).toContain('it reported effect "created"');
  });

  it('does not blame the replay for what the attempts committed', () => {
    const result = evaluate({
      invocations: [invocation(1, { exitCode: 1, effect: 'unknown' }), invocation(2), replay(3)],
      requests: [request(1, 1, { fault: 'timeout-after-commit', delivery: 'held' }), request(2, 2)],
      effects: [effect(1, 1), effect(2, 2)],
    });
    expect(result.status).toBe('pass');
  });

  it('accepts any of the scenario\'s success codes', () => {
    const result = evaluate({ exitCodes: { success: [0, 10], failure: [1] }, invocations: [invocation(1), replay(2, { exitCode: 10 })], effects: [effect(1, 1)] });
    expect(result.status).toBe('pass');
  });
});

describe('replay-is-noop for http targets: the first response, again', () => {
  const evaluateHttp = (spec: Spec) => replayIsNoop.evaluate(input(spec));
  const first = (id: number, overrides: Parameters<typeof httpInv>[3] = {}) => httpInv(id, 201, { id: 'ord_1', amount: 100 }, overrides);
  const replayed = (id: number, status: number | null, body: unknown, overrides: Parameters<typeof httpInv>[3] = {}) => httpInv(id, status, body, { role: 'replay', ...overrides });
  const charged = { requests: [req(1, 1), req(2, 2, { committed: false, outcome: 'replayed' as const })], effects: [eff(1, 1)] };

  it('passes the same status and body, whatever the order of its fields', () => {
    const result = evaluateHttp({ invocations: [first(1), replayed(2, 201, { amount: 100, id: 'ord_1' })], ...charged });
    expectStatus(result, 'pass');
    expect(result.message).toBe(`create-order: the replay with key ${HTTP_KEY} returned the first response (201)`);
  });

  it('fails another status and another body, saying where the bodies differ', () => {
    const result = evaluateHttp({ invocations: [first(1), replayed(2, 200, { id: 'ord_2', amount: 100 })], ...charged });
    expectStatus(result, 'fail');
    expect(result.message).toBe(
      `create-order: replay with key ${HTTP_KEY}: invocation 2 (replay, HTTP 200) answered 200, but the first response (invocation 1) was 201; ` +
        'its body {"id":"ord_2","amount":100} is not the first response\'s body {"id":"ord_1","amount":100} (invocation 1): they differ at .id: "ord_2" vs "ord_1" (the first response\'s)',
    );
    expect(result.evidence).toEqual({ invocations: [2], requests: [2] });
    const sameBody = evaluateHttp({ invocations: [first(1), replayed(2, 200, { id: 'ord_1', amount: 100 })], ...charged });
    expect(sameBody.message).toBe(`create-order: replay with key ${HTTP_KEY}: invocation 2 (replay, HTTP 200) answered 200, but the first response (invocation 1) was 201`);
  });

  it('compares with the first successful attempt with the same key, not a failed one or another key\'s', () => {
    const failedFirst = httpInv(1, 503, { error: 'unavailable' });
    const otherKey = first(2, { key: 'rp-abcdefabcdef-2' });
    const result = evaluateHttp({ invocations: [failedFirst, otherKey, replayed(3, 201, { id: 'ord_1', amount: 100 })], ...charged });
    expectStatus(result, 'fail');
    expect(result.message).toBe(`create-order: replay with key ${HTTP_KEY}: invocation 3 (replay, HTTP 201) has no successful attempt with key ${HTTP_KEY} to be compared with`);
    const later = evaluateHttp({ invocations: [replayed(1, 201, { id: 'ord_1', amount: 100 }), first(2)], ...charged });
    expect(later.message).toContain('has no successful attempt with key');
    const probe = evaluateHttp({ invocations: [first(1, { role: 'mismatch' }), replayed(2, 201, { id: 'ord_1', amount: 100 })], ...charged });
    expect(probe.message).toContain('has no successful attempt with key');
    const concurrent = evaluateHttp({ invocations: [first(1, { role: 'concurrent' }), replayed(2, 201, { id: 'ord_1', amount: 100 })], ...charged });
    expectStatus(concurrent, 'pass');
  });

  it('fails a replay that got no response', () => {
    const result = evaluateHttp({ invocations: [first(1), replayed(2, null, null, { error: 'ECONNRESET' })], ...charged });
    expectStatus(result, 'fail');
    expect(result.message).toBe(`create-order: replay with key ${HTTP_KEY}: invocation 2 (replay, no response: ECONNRESET) got no response`);
  });

  it('with target.replayedHeader, wants Idempotent-Replayed: true (any case, spaces around), and says what came instead', () => {
    const withHeader = (headers: Record<string, string> | null) =>
      evaluateHttp({ scenario: { replayedHeader: true }, invocations: [first(1), replayed(2, 201, { id: 'ord_1', amount: 100 }, { responseHeaders: headers })], ...charged });
    expectStatus(withHeader({ 'Idempotent-Replayed': ' True ' }), 'pass');
    const missing = withHeader({ 'content-type': 'application/json' });
    expectStatus(missing, 'fail');
    expect(missing.message).toBe(`create-order: replay with key ${HTTP_KEY}: it has no \`Idempotent-Replayed: true\` header (target.replayedHeader)`);
    expect(withHeader(null).message).toContain('it has no `Idempotent-Replayed: true` header');
    const wrong = withHeader({ 'idempotent-replayed': 'false' });
    expect(wrong.message).toBe(`create-order: replay with key ${HTTP_KEY}: its Idempotent-Replayed header is "false", not "true"`);
    // Without a response there is no header to judge: only the missing response is reported.
    const none = evaluateHttp({ scenario: { replayedHeader: true }, invocations: [first(1), replayed(2, null, null)], ...charged });
    expect(none.message).toBe(`create-order: replay with key ${HTTP_KEY}: invocation 2 (replay, no response) got no response`);
    // Without target.replayedHeader the header is not asked for.
    expectStatus(evaluateHttp({ invocations: [first(1), replayed(2, 201, { id: 'ord_1', amount: 100 })], ...charged }), 'pass');
  });

  it('does not judge a replay whose own requests were faulted, and names them all', () => {
    const result = evaluateHttp({
      invocations: [first(1), replayed(2, 503, null)],
      requests: [req(1, 1), refused(2, 2, 503, { fault: '503-before-commit' }), refused(3, 2, 400, { fault: '400' })],
      effects: [eff(1, 1)],
    });
    expectStatus(result, 'skip');
    expect(result.message).toBe("create-order: the replay's own request 2 (503-before-commit), 3 (400) was faulted; a correct replay may fail then");
  });
});

describeEndToEnd('replay-is-noop end to end', () => {
  it('catches a tool that answers a replay with "created" again, without charging (and fails only this check)', async () => {
    const result = await runCareful({ bug: 'replay-says-created', faults: ['none'] });
    expect(result.failedChecks).toEqual(['replay-is-noop']);
    const [failure, ...others] = failuresOf(result, 'replay-is-noop');
    expect(others).toEqual([]);
    expect(failure!.caseId).toBe('create-order/none');
    expect(failure!.message).toMatch(/^create-order: replay with key rp-[0-9a-f]{12}-1: it reported effect "created"$/);
    expect(failure!.evidence).toEqual({ invocations: [2], requests: [] });
  });

  it('passes the twin that answers noop, and skips the case whose operation never succeeded', async () => {
    const result = await runCareful({ faults: ['none', '503-before-commit'], caller: { retries: 0 } });
    expect(result.failedChecks).toEqual([]);
    expect(result.checks['replay-is-noop']).toEqual({ pass: 1, fail: 0, warn: 0, skip: 1 });
    expect(result.checks['replay-commits-nothing']).toEqual({ pass: 1, fail: 0, warn: 0, skip: 1 });
    const skipped = result.cases.find((item) => item.id === 'create-order/503-before-commit@payments#1')!;
    expect(skipped.checks.find((check) => check.check === 'replay-is-noop')!.status).toBe('skip');
  });
});

describe('replay-is-noop: survivors of the mutation run (issue 18)', () => {
  it('fails a replay the harness killed at its timeout even when it then exited 0 and said noop (a command that exits on SIGTERM, a module that settles in the grace period)', () => {
    const result = evaluate({ invocations: [invocation(1), replay(2, { killed: true, killReason: 'timeout' })], effects: [effect(1, 1)] });
    expect(result.status).toBe('fail');
    expect(result.message).toBe(`create-order: replay with key ${KEY}: invocation 2 (replay, killed (timeout)) did not exit with a success code`);
    expect(result.evidence).toEqual({ invocations: [2], requests: [] });
  });

  it('passes a noop replay that names a resource when the first answer named none: there is nothing to compare it with', () => {
    const result = evaluate({ invocations: [invocation(1), replay(2, { stdoutJson: { effect: 'noop', id: 'ord_1' } })], requests: [request(1, 1)], effects: [effect(1, 1)] });
    expect(result.status).toBe('pass');
    expect(result.message).toBe(`create-order: the replay with key ${KEY} reported noop`);
  });
});
