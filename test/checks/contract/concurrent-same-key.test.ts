import { describe, expect, it } from 'vitest';
import { concurrentSameKey } from '../../../src/checks/contract/concurrent-same-key.js';
import { eff, httpInv, input, inv, KEY, killedInv, req, type Spec } from '../../fixtures/check-targets-2/rows.js';
import { expectStatus, problems, runProbeTool } from '../../fixtures/check-targets-2/run-probe-tool.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const evaluate = (spec: Spec) => concurrentSameKey.evaluate(input(spec));
const window = [{ upstream: 'payments', ordinal: 1, fault: 'slow', params: { delayBeforeCommitMs: 150, delayMs: 0 } }];
/** A racer: both start at 0 ms and run 500 ms, so requests in between cannot be attributed. */
const racer = (id: number, overrides: Parameters<typeof inv>[1] = {}) =>
  inv(id, { role: 'concurrent', startedMs: 0, durationMs: 500, stdoutJson: { effect: 'created', id: 'cha_1' }, ...overrides });
const loser = (id: number, overrides: Parameters<typeof inv>[1] = {}) =>
  racer(id, { exitCode: 4, effect: 'none', stdoutJson: { effect: 'none', error: 'in flight' }, ...overrides });

describe('concurrent-same-key on hand-built rows', () => {
  it('is skipped outside a concurrency probe', () => {
    const result = evaluate({ invocations: [inv(1)], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(result, 'skip');
    expect(result.message).toBe('create-order: not a concurrency probe (0 concurrent invocations)');
  });

  it('passes one commit whose loser reports a conflict', () => {
    const result = evaluate({ faults: window, invocations: [racer(1), loser(2)], requests: [req(1, null, { startedMs: 100 })], effects: [eff(1, 1)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe(`create-order: concurrent invocations 1, 2 with key ${KEY} answered consistently (invocation 1 won)`);
  });

  it('passes a loser that reports noop, or the winner\'s result (same id)', () => {
    const noop = evaluate({ faults: window, invocations: [loser(1, { exitCode: 0, effect: 'noop', stdoutJson: { effect: 'noop' } }), racer(2)], requests: [req(1, null)], effects: [eff(1, 1)] });
    expectStatus(noop, 'pass');
    expect(noop.message).toContain('invocation 2 won');
    const same = evaluate({ faults: window, invocations: [racer(1), racer(2)], requests: [req(1, null), req(2, null, { committed: false, outcome: 'replayed' })], effects: [eff(1, 1)] });
    expectStatus(same, 'pass');
  });

  it('fails a noop loser that names another resource than the winner', () => {
    const result = evaluate({
      faults: window,
      invocations: [racer(1), racer(2, { effect: 'noop', stdoutJson: { effect: 'noop', id: 'cha_9' } })],
      requests: [req(1, null), req(2, null, { committed: false, outcome: 'replayed' })],
      effects: [eff(1, 1)],
    });
    expectStatus(result, 'fail');
    expect(result.message).toContain('reported noop for "cha_9", but the winner (invocation 1) reported "cha_1"');
  });

  it('does not blame a racer for "unknown" when a fault lost an answer in the race, but does otherwise', () => {
    const unknown = loser(2, { exitCode: 75, effect: 'unknown', stdoutJson: { effect: 'unknown' } });
    const truncated = evaluate({
      faults: [...window, { upstream: 'payments', ordinal: 2, fault: 'truncate-after-commit' }],
      invocations: [racer(1), unknown],
      requests: [req(1, null), req(2, null, { fault: 'truncate-after-commit', committed: false, outcome: 'replayed', delivery: 'truncated' })],
      effects: [eff(1, 1)],
    });
    expectStatus(truncated, 'pass');
    const clean = evaluate({ faults: window, invocations: [racer(1), unknown], requests: [req(1, null)], effects: [eff(1, 1)] });
    expectStatus(clean, 'fail');
  });

  it('fails two racers that each claim their own resource (what they committed is concurrent-commits-once\'s business)', () => {
    const result = evaluate({
      faults: window,
      invocations: [racer(1), racer(2, { stdoutJson: { effect: 'created', id: 'cha_2' } })],
      requests: [req(1, null), req(2, null)],
      effects: [eff(1, 2), eff(2, 1)],
    });
    expectStatus(result, 'fail');
    expect(result.message).not.toContain('committed');
    expect(result.message).toContain('invocation 2 (concurrent, exit 0) reported created "cha_2", but the winner (invocation 1) reported "cha_1": two different results for one key');
    expect(result.evidence).toEqual({ invocations: [1, 2] });
  });

  it('fails a loser that gives no usable answer', () => {
    const unknown = evaluate({ faults: window, invocations: [racer(1), loser(2, { exitCode: 75, effect: 'unknown' })], requests: [req(1, null)], effects: [eff(1, 1)] });
    expectStatus(unknown, 'fail');
    expect(unknown.message).toContain('invocation 2 (concurrent, exit 75) exited 75 with effect "unknown" (a conflict reports effect "none"');
    expect(unknown.evidence?.invocations).toEqual([1, 2]);
    const killed = evaluate({ faults: window, invocations: [racer(1), killedInv(2, { role: 'concurrent' })], requests: [req(1, null)], effects: [eff(1, 1)] });
    expect(killed.message).toContain('invocation 2 (concurrent, killed (timeout)) gave no answer');
    const undeclared = evaluate({ faults: window, invocations: [racer(1), loser(2, { exitCode: 9 })], requests: [req(1, null)], effects: [eff(1, 1)] });
    expect(undeclared.message).toContain('exited 9, which is not a declared failure code');
    const otherEffect = evaluate({ faults: window, invocations: [racer(1), racer(2, { effect: 'updated', stdoutJson: { effect: 'updated', id: 'cha_1' } })], requests: [req(1, null)], effects: [eff(1, 1)] });
    expect(otherEffect.message).toContain('reported effect "updated", but the winner (invocation 1) reported "created"');
  });

  it('fails racers that refused each other although nothing was faulted', () => {
    const result = evaluate({ faults: window, invocations: [loser(1), loser(2)] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('none of them succeeded (invocation 1 (concurrent, exit 4); invocation 2 (concurrent, exit 4)), though no request of theirs was faulted');
    expect(result.evidence).toEqual({ invocations: [1, 2] });
  });

  it('does not blame racers that failed under a real fault', () => {
    const outage = [{ upstream: 'payments', ordinal: 1, fault: '503-before-commit', andAfter: true }];
    const refused = { fault: '503-before-commit', committed: false, outcome: 'not-run' as const, clientStatus: 503 };
    const result = evaluate({ faults: outage, invocations: [loser(1, { exitCode: 1 }), loser(2)], requests: [req(1, 1, refused), req(2, 2, refused)] });
    expectStatus(result, 'pass');
    expect(result.message).toContain('none succeeded');
  });

  it('looks at the requests the racers reached, not at the schedule (issue 18, hole 3)', () => {
    // The schedule names a fault, but it was bound to a request nobody sent: the racers refused each other.
    const unreached = [{ upstream: 'payments', ordinal: 3, fault: '503-before-commit' }];
    const result = evaluate({ faults: unreached, invocations: [loser(1), loser(2)], requests: [] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('though no request of theirs was faulted');
  });

  it('when nobody won, excuses the racer whose own request got a 503 and the one told "in flight" (issue 13, class 5)', () => {
    const unknownAfter503 = loser(1, { exitCode: 75, effect: 'unknown', stdoutJson: { effect: 'unknown' } });
    const result = evaluate({
      faults: [{ upstream: 'payments', ordinal: 1, fault: '503-before-commit' }],
      invocations: [unknownAfter503, loser(2)],
      requests: [req(1, 1, { fault: '503-before-commit', committed: false, outcome: 'not-run', clientStatus: 503 })],
    });
    expectStatus(result, 'pass');
  });

  it('excuses "unknown" only after a fault that leaves the racer unsure, not after a definite refusal (issue 18, hole 13)', () => {
    const unknown = loser(2, { exitCode: 75, effect: 'unknown', stdoutJson: { effect: 'unknown' } });
    for (const fault of ['429-retry-after', 'permanent-error']) {
      const result = evaluate({
        faults: [...window, { upstream: 'payments', ordinal: 2, fault }],
        invocations: [racer(1), unknown],
        requests: [req(1, 1), req(2, 2, { fault, committed: false, outcome: 'not-run', clientStatus: fault === 'permanent-error' ? 400 : 429 })],
        effects: [eff(1, 1)],
      });
      expectStatus(result, 'fail');
    }
    const reset = evaluate({
      faults: [...window, { upstream: 'payments', ordinal: 2, fault: 'reset-before-commit' }],
      invocations: [racer(1), unknown],
      requests: [req(1, 1), req(2, 2, { fault: 'reset-before-commit', committed: false, outcome: 'not-run', delivery: 'reset' })],
      effects: [eff(1, 1)],
    });
    expectStatus(reset, 'pass');
  });

  it('does not blame a racer killed by a crash fault on the other racer\'s request: a crash kills every running invocation', () => {
    // Found by bug zoo 26's twin: a command's two racers are two processes, and crash-after-commit on one's request killed both.
    const crash = { fault: 'crash-after-commit', delivery: 'crashed' as const };
    const result = evaluate({
      faults: [{ upstream: 'payments', ordinal: 1, fault: 'crash-after-commit' }],
      invocations: [killedInv(1, { role: 'concurrent', killReason: 'crash' }), killedInv(2, { role: 'concurrent', killReason: 'crash' })],
      requests: [req(1, 1, crash)],
      effects: [eff(1, 1)],
    });
    expectStatus(result, 'pass');
    expect(result.message).toContain('none succeeded');
    // Killed by its own timeout, with no fault in its way, it still gave no answer.
    const hung = evaluate({ faults: window, invocations: [racer(1), killedInv(2, { role: 'concurrent' })], requests: [req(1, 1)], effects: [eff(1, 1)] });
    expectStatus(hung, 'fail');
  });

  it('does not blame a racer the harness killed at its timeout while it retried through an outage (zoo 30\'s twin, explored)', () => {
    const outage = { upstream: 'payments', ordinal: 1, fault: '429-retry-after', andAfter: true };
    const refused = { fault: '429-retry-after', committed: false, outcome: 'not-run' as const };
    const spec = (killReason: 'timeout' | null) => ({
      faults: [outage],
      invocations: [loser(1), killedInv(2, { role: 'concurrent', killReason })],
      requests: [req(1, 1, refused), req(2, 2, refused), req(3, 2, refused)],
      effects: [],
    });
    expectStatus(evaluate(spec('timeout')), 'pass');
    // Killed for another reason (no fault of the schedule's), the same rows are still no answer.
    expectStatus(evaluate(spec(null)), 'fail');
  });

  it('does not blame racers an outage refused: with no winner and faults in every racer\'s way, failure or "unknown" is honest (zoo 09 and 21\'s twins, explored)', () => {
    const gaveUp = (id: number) => loser(id, { exitCode: 75, effect: 'unknown', stdoutJson: { effect: 'unknown' } });
    for (const fault of ['429-retry-after', '409-in-flight']) {
      const outage = { upstream: 'payments', ordinal: 1, fault, andAfter: true };
      const refused = { fault, committed: false, outcome: 'not-run' as const, clientStatus: fault === '409-in-flight' ? 409 : 429 };
      const result = evaluate({
        faults: [outage],
        invocations: [gaveUp(1), gaveUp(2)],
        requests: [req(1, 1, refused), req(2, 2, refused), req(3, 1, refused), req(4, 2, refused)],
        effects: [],
      });
      expectStatus(result, 'pass');
    }
    // A racer that got through its outage and won: the other, refused by a 429, still knows nothing happened (hole 13).
    const refused = { fault: '429-retry-after', committed: false, outcome: 'not-run' as const, clientStatus: 429 };
    const withWinner = evaluate({
      faults: [...window, { upstream: 'payments', ordinal: 2, fault: '429-retry-after' }],
      invocations: [racer(1), gaveUp(2)],
      requests: [req(1, 1), req(2, 2, refused)],
      effects: [eff(1, 1)],
    });
    expectStatus(withWinner, 'fail');
  });

  it('excuses "unknown" after an in-flight 409: a request with the key was still being processed and may yet commit', () => {
    const unknown = loser(2, { exitCode: 4, effect: 'unknown', stdoutJson: { effect: 'unknown' } });
    const result = evaluate({
      faults: [...window, { upstream: 'payments', ordinal: 2, fault: '409-in-flight' }],
      invocations: [racer(1), unknown],
      requests: [req(1, 1), req(2, 2, { fault: '409-in-flight', committed: false, outcome: 'not-run', clientStatus: 409 })],
      effects: [eff(1, 1)],
    });
    expectStatus(result, 'pass');
  });

  describe('http targets', () => {
    const winner = (id: number) => httpInv(id, 201, { id: 'ord_1', amount: 100 }, { role: 'concurrent', startedMs: 0, durationMs: 500 });
    const other = (id: number, status: number | null, body: unknown) => httpInv(id, status, body, { role: 'concurrent', startedMs: 0, durationMs: 500 });

    it('passes a loser that gets 409, or the same status and body', () => {
      expect(evaluate({ faults: window, invocations: [winner(1), other(2, 409, { error: 'in flight' })], requests: [req(1, null)], effects: [eff(1, 1)] }).status).toBe('pass');
      expect(evaluate({ faults: window, invocations: [winner(1), other(2, 201, { amount: 100, id: 'ord_1' })], requests: [req(1, null)], effects: [eff(1, 1)] }).status).toBe('pass');
    });

    it('fails a loser with another body, another status, or no response', () => {
      const body = evaluate({ faults: window, invocations: [winner(1), other(2, 201, { id: 'ord_2', amount: 100 })], requests: [req(1, null)], effects: [eff(1, 1)] });
      expectStatus(body, 'fail');
      expect(body.message).toContain('invocation 2 (concurrent, HTTP 201) answered 201 {"id":"ord_2","amount":100}, not the winner\'s 201 {"id":"ord_1","amount":100}');
      const error = evaluate({ faults: window, invocations: [winner(1), other(2, 500, { error: 'boom' })], requests: [req(1, null)], effects: [eff(1, 1)] });
      expect(error.message).toContain('answered 500 (a loser reports noop, the same result, or 409)');
      const none = evaluate({ faults: window, invocations: [winner(1), other(2, null, null)], requests: [req(1, null)], effects: [eff(1, 1)] });
      expect(none.message).toContain('got no response');
    });
  });
});

describeEndToEnd('concurrent-same-key end to end', () => {
  it('fails a tool without a per-key lock: both racers say they created the charge', async () => {
    const run = await runProbeTool({ bug: 'no-lock', faults: ['none'], probes: { concurrent: true }, honoursKey: false });
    const result = run.check('create-order/probe:concurrent', 'concurrent-same-key');
    expectStatus(result, 'fail');
    expect(result.message).toMatch(/^create-order: concurrent invocations 1, 2 with key rp-\w+-1: invocation \d \(concurrent, exit 0\) reported created/);
    expectStatus(run.check('create-order/probe:concurrent', 'concurrent-commits-once'), 'fail');
    expect(run.check('create-order/none', 'concurrent-same-key').status).toBe('skip');
  });

  it('passes its twin: the loser backs off with exit 4', async () => {
    const run = await runProbeTool({ faults: ['none'], probes: { concurrent: true }, honoursKey: false });
    const result = run.check('create-order/probe:concurrent', 'concurrent-same-key');
    expectStatus(result, 'pass');
    expect(result.message).toMatch(/answered consistently \(invocation [12] won\)/);
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual([]);
  });
});

describe('concurrent-same-key messages (issue 13, class 9)', () => {
  it('shows where two long bodies differ, not two prefixes that read the same', () => {
    const long = 'x'.repeat(120);
    const winnerBody = { note: long, order: { id: 'ord_1', amount: 100 } };
    const loserBody = { note: long, order: { id: 'ord_2', amount: 100 } };
    const result = evaluate({
      faults: [{ upstream: 'payments', ordinal: 1, fault: 'slow', params: { delayBeforeCommitMs: 150, delayMs: 0 } }],
      invocations: [httpInv(1, 201, winnerBody, { role: 'concurrent', startedMs: 0, durationMs: 500 }), httpInv(2, 201, loserBody, { role: 'concurrent', startedMs: 0, durationMs: 500 })],
      requests: [req(1, null)],
      effects: [eff(1, 1)],
    });
    expectStatus(result, 'fail');
    expect(result.message).toContain('the bodies differ at .order.id: "ord_2" vs "ord_1" (the winner\'s)');
  });
});

describe('concurrent-same-key: the branches a loser\'s answer can take (mutation testing, issue 18)', () => {
  const window = [{ upstream: 'payments', ordinal: 1, fault: 'slow', params: { delayBeforeCommitMs: 150, delayMs: 0 } }];
  const racer = (id: number, overrides: Parameters<typeof inv>[1] = {}) =>
    inv(id, { role: 'concurrent', startedMs: 0, durationMs: 500, stdoutJson: { effect: 'created', id: 'cha_1' }, ...overrides });
  const evaluateRace = (invocations: ReturnType<typeof inv>[]) =>
    concurrentSameKey.evaluate(input({ faults: window, invocations, requests: [req(1, null)], effects: [eff(1, 1)] }));

  it('compares whole results when neither racer prints an id', () => {
    const same = evaluateRace([racer(1, { stdoutJson: { effect: 'created', amount: 100 } }), racer(2, { stdoutJson: { amount: 100, effect: 'created' } })]);
    expectStatus(same, 'pass');
    const other = evaluateRace([racer(1, { stdoutJson: { effect: 'created', amount: 100 } }), racer(2, { stdoutJson: { effect: 'created', amount: 200 } })]);
    expectStatus(other, 'fail');
    expect(other.message).toBe(
      `create-order: concurrent invocations 1, 2 with key ${KEY}: invocation 2 (concurrent, exit 0) reported {"effect":"created","amount":200}, not the winner's result {"effect":"created","amount":100}: they differ at .amount: 200 vs 100 (the winner's)`,
    );
    expect(other.evidence).toEqual({ invocations: [1, 2] });
  });

  it('fails a loser that names no resource when the winner names one, and the other way round', () => {
    const mute = evaluateRace([racer(1), racer(2, { stdoutJson: { effect: 'created' } })]);
    expectStatus(mute, 'fail');
    expect(mute.message).toContain('invocation 2 (concurrent, exit 0) reported created undefined, but the winner (invocation 1) reported "cha_1": two different results for one key');
    const named = evaluateRace([racer(1, { stdoutJson: { effect: 'created' } }), racer(2)]);
    expectStatus(named, 'fail');
    expect(named.message).toContain('reported created "cha_1", but the winner (invocation 1) reported undefined');
  });

  it('passes a noop loser when either side names no resource', () => {
    const noop = (id: number, stdoutJson: unknown) => racer(id, { effect: 'noop', stdoutJson });
    expectStatus(evaluateRace([racer(1), noop(2, { effect: 'noop' })]), 'pass');
    expectStatus(evaluateRace([racer(1, { stdoutJson: { effect: 'created' } }), noop(2, { effect: 'noop', id: 'cha_1' })]), 'pass');
    expectStatus(evaluateRace([racer(1), noop(2, { effect: 'noop', id: 'cha_1' })]), 'pass');
  });

  it('picks as winner the first racer that succeeded with an effect other than noop', () => {
    const result = evaluateRace([racer(1, { effect: 'noop', stdoutJson: { effect: 'noop', id: 'cha_1' } }), racer(2), racer(3, { effect: 'noop', stdoutJson: { effect: 'noop', id: 'cha_1' } })]);
    expectStatus(result, 'pass');
    expect(result.message).toBe(`create-order: concurrent invocations 1, 2, 3 with key ${KEY} answered consistently (invocation 2 won)`);
    const allNoop = evaluateRace([racer(1, { effect: 'noop', stdoutJson: { effect: 'noop', id: 'cha_1' } }), racer(2, { effect: 'noop', stdoutJson: { effect: 'noop', id: 'cha_1' } })]);
    expect(allNoop.message).toContain('(invocation 1 won)');
  });

  it('says when a conflict printed no effect, and when a racer gave no exit code', () => {
    const silent = evaluateRace([racer(1), racer(2, { exitCode: 4, effect: null, stdoutJson: null })]);
    expectStatus(silent, 'fail');
    expect(silent.message).toContain('invocation 2 (concurrent, exit 4) exited 4 with effect (none printed) (a conflict reports effect "none"; a loser can know the key is in flight)');
    const noCode = evaluateRace([racer(1), racer(2, { exitCode: null, effect: null, stdoutJson: null })]);
    expectStatus(noCode, 'fail');
    expect(noCode.message).toContain('invocation 2 (concurrent, exit null) gave no exit code (a loser reports noop, the same result, or a conflict)');
    const signalled = evaluateRace([racer(1), racer(2, { exitCode: null, signal: 'SIGTERM', effect: null, stdoutJson: null })]);
    expect(signalled.message).toContain('invocation 2 (concurrent, ended by SIGTERM) gave no answer');
  });

  it('fails an http loser with another status, and says the bodies differ only when the status is the same', () => {
    const http = (id: number, status: number, body: unknown) => httpInv(id, status, body, { role: 'concurrent', startedMs: 0, durationMs: 500 });
    const result = evaluateRace([http(1, 201, { id: 'ord_1' }), http(2, 200, { id: 'ord_1' })]);
    expectStatus(result, 'fail');
    expect(result.message).toBe(
      `create-order: concurrent invocations 1, 2 with key ${KEY}: invocation 2 (concurrent, HTTP 200) answered 200 {"id":"ord_1"}, not the winner's 201 {"id":"ord_1"} (nor noop, nor 409)`,
    );
    const noop = evaluateRace([http(1, 201, { id: 'ord_1', effect: 'created' }), http(2, 200, { effect: 'noop' })]);
    expectStatus(noop, 'pass');
  });
});

describe('concurrent-same-key: survivors of the mutation run (issue 18)', () => {
  const window = [{ upstream: 'payments', ordinal: 1, fault: 'slow', params: { delayBeforeCommitMs: 150, delayMs: 0 } }];
  const http = (id: number, status: number, body: unknown) => httpInv(id, status, body, { role: 'concurrent', startedMs: 0, durationMs: 500 });
  const evaluateRace = (invocations: ReturnType<typeof inv>[]) =>
    concurrentSameKey.evaluate(input({ faults: window, invocations, requests: [req(1, null)], effects: [eff(1, 1)] }));

  it('fails an http loser that answers just outside 2xx, and names every bad loser', () => {
    const result = evaluateRace([http(1, 201, { id: 'ord_1' }), http(2, 300, { id: 'ord_1' }), http(3, 199, { id: 'ord_1' })]);
    expectStatus(result, 'fail');
    expect(result.message).toBe(
      `create-order: concurrent invocations 1, 2, 3 with key ${KEY}: invocation 2 (concurrent, HTTP 300) answered 300 (a loser reports noop, the same result, or 409); ` +
        'invocation 3 (concurrent, HTTP 199) answered 199 (a loser reports noop, the same result, or 409)',
    );
    expect(result.evidence).toEqual({ invocations: [1, 2, 3] });
  });
});

describe('concurrent-same-key: which faults excuse which answer (mutation testing, issue 18)', () => {
  const unknown = (id: number, overrides: Parameters<typeof inv>[1] = {}) => loser(id, { exitCode: 75, effect: 'unknown', stdoutJson: { effect: 'unknown' }, ...overrides });
  const faulted = (fault: string, extra: Partial<Parameters<typeof req>[2]> = {}) => ({ fault, committed: false, outcome: 'not-run' as const, clientStatus: fault.startsWith('429') ? 429 : 503, ...extra });

  it('judges a racer by the kind its own invocation row names, before the scenario\'s', () => {
    const http = (id: number, status: number, body: unknown) => httpInv(id, status, body, { role: 'concurrent', startedMs: 0, durationMs: 500 });
    const result = concurrentSameKey.evaluate(
      input({ faults: window, invocations: [http(1, 201, { id: 'ord_1' }), http(2, 409, { error: 'in flight' })], requests: [req(1, null)], effects: [eff(1, 1)], scenario: { targetKind: 'command' } }),
    );
    expectStatus(result, 'pass');
  });

  it('with a winner, an outage is no excuse: a racer refused by a 429 that says "unknown" is blamed, even when the winner met faults too', () => {
    const result = evaluate({
      invocations: [racer(1), unknown(2)],
      requests: [req(1, 1, faulted('503-before-commit')), req(2, 1), req(3, 2, faulted('429-retry-after'))],
      effects: [eff(1, 2)],
    });
    expectStatus(result, 'fail');
    expect(result.message).toContain('invocation 2 (concurrent, exit 75) exited 75 with effect "unknown"');
  });

  it('with no winner, the outage excuses only when every racer met faults: one refused by a 429 saying "unknown" beside an unfaulted one is blamed', () => {
    const result = evaluate({ invocations: [unknown(1), loser(2)], requests: [req(1, 1, faulted('429-retry-after')), req(2, 2, { committed: false, outcome: 'rejected', clientStatus: 409 })] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('invocation 1 (concurrent, exit 75) exited 75 with effect "unknown"');
    expect(result.message).not.toContain('invocation 2');
  });

  it('counts only the faults on the racer\'s own requests (and unattributed ones), not the other racer\'s', () => {
    const result = evaluate({
      invocations: [racer(1), unknown(2)],
      requests: [req(1, 1, { fault: 'reset-after-commit', delivery: 'reset' }), req(2, 1, { committed: false, outcome: 'replayed' }), req(3, 2, { committed: false, outcome: 'replayed' })],
      effects: [eff(1, 1)],
    });
    expectStatus(result, 'fail');
    expect(result.message).toContain('invocation 2 (concurrent, exit 75)');
  });

  it('excuses "unknown" from a racer whose own request it gave up on itself (abandoned, no fault)', () => {
    const result = evaluate({ faults: window, invocations: [racer(1), unknown(2)], requests: [req(1, 1), req(2, 2, { committed: false, outcome: 'replayed', delivery: 'abandoned' })], effects: [eff(1, 1)] });
    expectStatus(result, 'pass');
  });

  it('never excuses a racer that succeeded: after a lost answer it must still report the winner\'s result', () => {
    const result = evaluate({
      invocations: [racer(1), racer(2, { stdoutJson: { effect: 'created', id: 'cha_2' } })],
      requests: [req(1, 1), req(2, 2, { fault: 'reset-after-commit', delivery: 'reset' })],
      effects: [eff(1, 1), eff(2, 2)],
    });
    expectStatus(result, 'fail');
    expect(result.message).toContain('reported created "cha_2", but the winner (invocation 1) reported "cha_1"');
  });

  it('is excused by any one fault that lost an answer or left it unsure, among definite refusals', () => {
    for (const second of ['reset-before-commit', '503-before-commit']) {
      const result = evaluate({
        invocations: [racer(1), unknown(2)],
        requests: [req(1, 1), req(2, 2, faulted('429-retry-after')), req(3, 2, faulted(second, second.startsWith('reset') ? { delivery: 'reset', clientStatus: null } : {}))],
        effects: [eff(1, 1)],
      });
      expectStatus(result, 'pass');
    }
  });

  it('after a definite refusal, excuses a failure whatever effect it printed, but not "unknown"', () => {
    const refusedTwice = (second: ReturnType<typeof inv>) =>
      evaluate({ invocations: [racer(1), second], requests: [req(1, 1), req(2, 2, faulted('429-retry-after'))], effects: [eff(1, 1)] });
    expectStatus(refusedTwice(loser(2, { exitCode: 1, effect: null, stdoutJson: { error: 'rate limited' } })), 'pass');
    expectStatus(refusedTwice(unknown(2)), 'fail');
  });

  it('reads an HTTP loser\'s effect from its body when the row has none: a noop body is a good loser\'s', () => {
    const http = (id: number, status: number, body: unknown, overrides = {}) => httpInv(id, status, body, { role: 'concurrent', startedMs: 0, durationMs: 500, ...overrides });
    const result = evaluate({ faults: window, invocations: [http(1, 201, { effect: 'created', id: 'ord_1' }), http(2, 200, { effect: 'noop', id: 'ord_1', replayed: true }, { effect: null })], requests: [req(1, null)], effects: [eff(1, 1)] });
    expectStatus(result, 'pass');
    const noEffect = evaluate({ faults: window, invocations: [http(1, 201, { effect: 'created', id: 'ord_1' }), http(2, 200, { id: 'ord_1', replayed: true }, { effect: null })], requests: [req(1, null)], effects: [eff(1, 1)] });
    expectStatus(noEffect, 'fail');
  });

  it('says an HTTP racer whose row has no status at all got no response', () => {
    const http = (id: number, status: number | null, body: unknown, overrides = {}) => httpInv(id, status, body, { role: 'concurrent', startedMs: 0, durationMs: 500, ...overrides });
    const result = evaluate({ faults: window, invocations: [http(1, 201, { id: 'ord_1' }), http(2, null, null, { httpStatus: undefined })], requests: [req(1, null)], effects: [eff(1, 1)] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('invocation 2');
    expect(result.message).toContain('got no response');
  });
});

describe('concurrent-same-key: racers that exit with success but say "unknown" (mutation testing, issue 18)', () => {
  it('with no winner, blames none of them as a loser, command or http: their outcome is unknown, so no one won', () => {
    const command = evaluate({
      faults: window,
      invocations: [racer(1, { effect: 'unknown', stdoutJson: { effect: 'unknown' } }), racer(2, { effect: 'unknown', stdoutJson: { effect: 'unknown' } })],
      requests: [req(1, null)],
      effects: [eff(1, 1)],
    });
    expectStatus(command, 'fail');
    expect(command.message).toBe(
      `create-order: concurrent invocations 1, 2 with key ${KEY}: none of them succeeded (invocation 1 (concurrent, exit 0); invocation 2 (concurrent, exit 0)), though no request of theirs was faulted`,
    );
    expect(command.evidence).toEqual({ invocations: [1, 2] });
    const http = (id: number) => httpInv(id, 200, { effect: 'unknown' }, { role: 'concurrent', startedMs: 0, durationMs: 500 });
    const api = evaluate({ faults: window, invocations: [http(1), http(2)], requests: [req(1, null)], effects: [eff(1, 1)] });
    expectStatus(api, 'fail');
    expect(api.message).toBe(
      `create-order: concurrent invocations 1, 2 with key ${KEY}: none of them succeeded (invocation 1 (concurrent, HTTP 200); invocation 2 (concurrent, HTTP 200)), though no request of theirs was faulted`,
    );
  });
});

describe('concurrent-same-key: a racer whose own request committed (zoo 01\'s twin, explored at load 12)', () => {
  const unknown = (id: number, overrides: Parameters<typeof inv>[1] = {}) =>
    loser(id, { exitCode: 75, effect: 'unknown', stdoutJson: { effect: 'unknown', error: 'no answer: the charge may or may not have gone through' }, ...overrides });
  const noop = (id: number) => loser(id, { exitCode: 0, effect: 'noop', stdoutJson: { effect: 'noop', id: 'cha_1' } });
  const replayed = { committed: false, outcome: 'replayed' as const };

  it('is no loser: its "unknown" is honest when its own timeout fired as the answer was sent', () => {
    // Racer 1's request committed in the slow window, and its 800 ms timeout fired before it read
    // the 201 (the ledger saw the answer sent); racer 2 got the replay and said noop.
    const result = evaluate({ faults: window, invocations: [unknown(1), noop(2)], requests: [req(1, 1, { fault: 'slow' }), req(2, 2, replayed)], effects: [eff(1, 1)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe(`create-order: concurrent invocations 1, 2 with key ${KEY} answered consistently (invocation 2 won)`);
  });

  it('still blames "unknown" from a racer whose own request did not commit, or was another racer\'s, and one killed without an answer', () => {
    const notCommitted = evaluate({ faults: window, invocations: [racer(1), unknown(2)], requests: [req(1, 1), req(2, 2, replayed)], effects: [eff(1, 1)] });
    expectStatus(notCommitted, 'fail');
    expect(notCommitted.message).toContain('invocation 2 (concurrent, exit 75) exited 75 with effect "unknown"');
    const othersCommit = evaluate({ faults: window, invocations: [unknown(1), noop(2)], requests: [req(1, 2), req(2, 1, replayed)], effects: [eff(1, 1)] });
    expectStatus(othersCommit, 'fail');
    const killedRacer = evaluate({ faults: window, invocations: [killedInv(1, { role: 'concurrent', startedMs: 0, durationMs: 500 }), noop(2)], requests: [req(1, 1), req(2, 2, replayed)], effects: [eff(1, 1)] });
    expectStatus(killedRacer, 'fail');
    expect(killedRacer.message).toContain('gave no answer');
  });
});
