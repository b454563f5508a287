import { DEFAULT_MAX_ATTEMPTS } from '../../../src/checks/check.js';
import { describe, expect, it } from 'vitest';
import type { FaultBinding } from '../../../src/core/schedule.js';
import type { RequestRow } from '../../../src/ledger/rows.js';
import { NOISE_FACTOR, retryPolicy } from '../../../src/checks/retry/retry-policy.js';
import { eff, input, inv, lookup, refused, req, type Spec } from '../../fixtures/check-targets-2/rows.js';
import { expectStatus, problems, runProbeTool } from '../../fixtures/check-targets-2/run-probe-tool.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const evaluate = (spec: Spec) => retryPolicy.evaluate(input({ invocations: [inv(1)], ...spec }));
/** A request of invocation 1 that started at `startedMs`, took 10 ms and got `status`. */
const at = (id: number, startedMs: number, status: number, overrides: Partial<RequestRow> = {}): RequestRow =>
  status < 400 ? req(id, 1, { startedMs, endedMs: startedMs + 10, ...overrides }) : refused(id, 1, status, { startedMs, endedMs: startedMs + 10, fault: '503-before-commit', ...overrides });
const tooMany = (id: number, startedMs: number): RequestRow => at(id, startedMs, 429, { fault: '429-retry-after' });
/** 503s from an upstream that sends no Retry-After (503-before-commit sends 1 s by default): the client's own waits are judged. */
const noRetryAfter = { retryAfterSeconds: null };
const outage: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '503-before-commit', andAfter: true, params: noRetryAfter }];

describe('retry-policy on hand-built rows', () => {
  it('is skipped when the target retried nothing itself', () => {
    const result = evaluate({ requests: [lookup(1, 1), req(2, 1)], effects: [eff(1, 2)] });
    expectStatus(result, 'skip');
    expect(result.message).toBe('create-order: the target retried no request of its own (no failed request was followed by another to its route)');
  });

  it('passes retries that back off and stop at the first success', () => {
    const result = evaluate({ faults: outage, requests: [at(1, 0, 503), at(2, 60, 503), at(3, 170, 201)], effects: [eff(1, 3)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe('create-order: retries bounded, backing off and honouring Retry-After (1 retry chain)');
  });

  it('fails more tries than retryPolicy.maxAttempts, naming every request', () => {
    const requests = [0, 20, 60, 140, 300, 620].map((start, i) => at(i + 1, start, 503));
    const result = evaluate({ faults: outage, requests });
    expectStatus(result, 'fail');
    expect(result.message).toMatch(/^create-order: invocation 1: sent payments POST \/charges 6 times in a row without success \(retryPolicy\.maxAttempts: 5\): request 1 \(POST \/charges to payments, fault 503-before-commit, got 503\); request 2/);
    expect(result.evidence).toEqual({ invocations: [1], requests: [1, 2, 3, 4, 5, 6] });
    const strict = evaluate({ faults: outage, requests: requests.slice(0, 4), scenario: { retryPolicy: { maxAttempts: 3, retryAfterToleranceMs: 100 } } });
    expectStatus(strict, 'fail');
    expect(strict.message).toContain('4 times in a row without success (retryPolicy.maxAttempts: 3)');
    expect(evaluate({ faults: outage, requests: requests.slice(0, 5), noScenario: true }).status).toBe('pass');
  });

  it('without a scenario setting, bounds retries generously: a library\'s 6 attempts pass, 11 fail (issue 13, class 11)', () => {
    const backingOff = (n: number) => Array.from({ length: n }, (_, i) => at(i + 1, 100 * (2 ** i - 1), 503));
    expect(evaluate({ faults: outage, requests: backingOff(6), noScenario: true }).status).toBe('pass');
    const eleven = evaluate({ faults: outage, requests: backingOff(11), noScenario: true });
    expectStatus(eleven, 'fail');
    expect(eleven.message).toContain('11 times in a row without success (retryPolicy.maxAttempts: 10)');
    expect(DEFAULT_MAX_ATTEMPTS).toBe(10);
  });

  it('does not count requests after a success as retries (a tool that creates several records)', () => {
    const requests = [0, 20, 40, 60, 80, 100].map((start, i) => at(i + 1, start, 201));
    expect(evaluate({ requests, effects: requests.map((request, i) => eff(i + 1, request.id)) }).status).toBe('skip');
  });

  it('fails waits that shrink, naming the requests around them', () => {
    const result = evaluate({ faults: outage, requests: [at(1, 0, 503), at(2, 410, 503), at(3, 520, 201)], effects: [eff(1, 3)] });
    expectStatus(result, 'fail');
    expect(result.message).toBe(
      'create-order: invocation 1: does not back off on payments POST /charges: waited 400 ms before request 2, then only 100 ms before request 3 (after request 2 (POST /charges to payments, fault 503-before-commit, got 503); tolerance 100 ms)',
    );
    expect(result.evidence).toEqual({ invocations: [1], requests: [1, 2, 3] });
  });

  it('leaves out a wait whose end was stamped after the retry began: the client gave up earlier (issue 18, hole 7)', () => {
    // A slowed answer the client abandoned at 100 ms; a ledger written before the fix stamped its end at 5000 ms.
    const late = at(2, 100, 201, { fault: 'slow', delivery: 'abandoned', clientStatus: null, endedMs: 5_000 });
    const result = evaluate({ faults: outage, requests: [at(1, 0, 503), late, at(3, 1_200, 201)], effects: [eff(1, 2), eff(2, 3)] });
    expectStatus(result, 'pass');
    expect(result.message).not.toContain('-3800');
  });

  it('widens the back-off tolerance by the scheduling noise measured during the case (issue 13, class 8)', () => {
    // Intended 50 ms then 100 ms, measured 168 ms then 114 ms at load average 11.
    const loaded = { faults: outage, requests: [at(1, 0, 503), at(2, 178, 503), at(3, 302, 201)], effects: [eff(1, 3)] };
    const quiet = evaluate(loaded);
    expectStatus(quiet, 'fail');
    expect(quiet.message).toContain('waited 168 ms before request 2, then only 114 ms before request 3 (after request 2 (POST /charges to payments, fault 503-before-commit, got 503); tolerance 50 ms)');
    const busy = (noise: number, spec: Spec = loaded) => retryPolicy.evaluate({ ...input({ invocations: [inv(1)], ...spec }), timing: { schedulingNoiseMs: noise } });
    expectStatus(busy(40), 'pass');
    // A wait that really shrinks is still one, and the message says how much of the tolerance the noise made.
    const shrinking = busy(40, { faults: outage, requests: [at(1, 0, 503), at(2, 410, 503), at(3, 440, 201)], effects: [eff(1, 3)] });
    expectStatus(shrinking, 'fail');
    // 20 ms after a 503, with 40 ms of noise, is within the widened no-wait limit: said as such.
    expect(shrinking.message).toContain(`then no wait at all (20 ms) before request 3 (after request 2 (POST /charges to payments, fault 503-before-commit, got 503); tolerance ${100 + NOISE_FACTOR * 40} ms, of which 80 ms for the 40 ms of scheduling noise measured during the case)`);
  });

  it('tolerates a little jitter and constant waits', () => {
    // Tolerance: max(50 ms, 25 % of the previous wait).
    const jitter = evaluate({ faults: outage, requests: [at(1, 0, 503), at(2, 110, 503), at(3, 170, 201)], effects: [eff(1, 3)] });
    expectStatus(jitter, 'pass');
    const tooMuch = evaluate({ faults: outage, requests: [at(1, 0, 503), at(2, 110, 503), at(3, 169, 201)], effects: [eff(1, 3)] });
    expectStatus(tooMuch, 'fail');
    expect(tooMuch.message).toContain('waited 100 ms before request 2, then only 49 ms before request 3 (after request 2 (POST /charges to payments, fault 503-before-commit, got 503); tolerance 50 ms)');
    const relative = evaluate({ faults: outage, requests: [at(1, 0, 503), at(2, 410, 503), at(3, 720, 201)], effects: [eff(1, 3)] });
    expectStatus(relative, 'pass');
    const constant = evaluate({ faults: outage, requests: [at(1, 0, 503), at(2, 60, 503), at(3, 120, 503), at(4, 180, 201)], effects: [eff(1, 4)] });
    expectStatus(constant, 'pass');
  });

  it('fails a retry that comes before Retry-After has passed', () => {
    const faults: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '429-retry-after', params: { retryAfterSeconds: 2 } }];
    const result = evaluate({ faults, requests: [tooMany(1, 0), at(2, 1600, 201)], effects: [eff(1, 2)] });
    expectStatus(result, 'fail');
    expect(result.message).toBe(
      'create-order: invocation 1: ignored Retry-After: request 1 (POST /charges to payments, fault 429-retry-after, got 429) said Retry-After 2, but request 2 (POST /charges to payments, got 201) came 1590 ms later (at least 1900 ms, with retryPolicy.retryAfterToleranceMs 100)',
    );
    expect(result.evidence).toEqual({ invocations: [1], requests: [1, 2] });
    const honoured = evaluate({ faults, requests: [tooMany(1, 0), at(2, 1920, 201)], effects: [eff(1, 2)] });
    expectStatus(honoured, 'pass');
    expect(honoured.message).toContain('(1 retry chain and 1 Retry-After)');
    // Exactly 2 s less the tolerance after the answer is soon enough.
    expectStatus(evaluate({ faults, requests: [tooMany(1, 0), at(2, 1910, 201)], effects: [eff(1, 2)] }), 'pass');
  });

  it('reads Retry-After from the fault: 1 s by default for 429 and for 503 (issue 14), none with retryAfterSeconds: null', () => {
    const bare: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '429-retry-after' }];
    const ignored429 = evaluate({ faults: bare, requests: [tooMany(1, 0), at(2, 500, 201)], effects: [eff(1, 2)] });
    expectStatus(ignored429, 'fail');
    expect(ignored429.message).toContain('said Retry-After 1');
    // The 503's default header is the harness's, not the scenario's word: ignoring it is a warning.
    const plain503: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '503-before-commit' }];
    const early = evaluate({ faults: plain503, requests: [at(1, 0, 503), at(2, 50, 201)], effects: [eff(1, 2)] });
    expectStatus(early, 'warn');
    expect(early.message).toContain('said Retry-After 1, but request 2');
    expect(early.message).toContain('a warning: the scenario does not say its upstream sends Retry-After on a 503');
    expect(early.evidence).toEqual({ invocations: [1], requests: [1, 2] });
    // Declared, the same header is the upstream's word: ignoring it fails.
    const declared503: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '503-before-commit', params: { retryAfterSeconds: 1 } }];
    expectStatus(evaluate({ faults: declared503, requests: [at(1, 0, 503), at(2, 50, 201)], effects: [eff(1, 2)] }), 'fail');
    // A warning does not hide a failure beside it: both are named, and the result fails.
    const both = evaluate({ faults: [...plain503, { upstream: 'payments', ordinal: 2, fault: '429-retry-after' }], requests: [at(1, 0, 503), tooMany(2, 50), at(3, 100, 201)], effects: [eff(1, 3)] });
    expectStatus(both, 'fail');
    expect(both.message).toMatch(/request 2 \(POST \/charges to payments, fault 429-retry-after.*\| invocation 1: ignored Retry-After: request 1 .*a warning/);
    expectStatus(evaluate({ faults: plain503, requests: [at(1, 0, 503), at(2, 1_010, 201)], effects: [eff(1, 2)] }), 'pass');
    const withHeader: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '503-before-commit', params: { retryAfterSeconds: 3 } }];
    expect(evaluate({ faults: withHeader, requests: [at(1, 0, 503), at(2, 1_010, 201)], effects: [eff(1, 2)] }).message).toContain('said Retry-After 3, but request 2');
    const without: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '503-before-commit', params: noRetryAfter }];
    expectStatus(evaluate({ faults: without, requests: [at(1, 0, 503), at(2, 50, 201)], effects: [eff(1, 2)] }), 'pass');
  });

  it('joins several warnings with " | ", as it joins failures, and names every request involved', () => {
    // Both 503s said the default Retry-After 1, and the client came back 40 ms after each: two warnings, no failure.
    const plain503: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '503-before-commit', andAfter: true }];
    const result = evaluate({ faults: plain503, requests: [at(1, 0, 503), at(2, 50, 503), at(3, 100, 201)], effects: [eff(1, 3)] });
    expectStatus(result, 'warn');
    const warning = 'a warning: the scenario does not say its upstream sends Retry-After on a 503 (faultParams: {503-before-commit: {retryAfterSeconds: 1}} makes it a failure)';
    expect(result.message).toBe(
      `create-order: invocation 1: ignored Retry-After: request 1 (POST /charges to payments, fault 503-before-commit, got 503) said Retry-After 1, but request 2 (POST /charges to payments, fault 503-before-commit, got 503) came 40 ms later (at least 900 ms, with retryPolicy.retryAfterToleranceMs 100); ${warning}` +
        ` | invocation 1: ignored Retry-After: request 2 (POST /charges to payments, fault 503-before-commit, got 503) said Retry-After 1, but request 3 (POST /charges to payments, got 201) came 40 ms later (at least 900 ms, with retryPolicy.retryAfterToleranceMs 100); ${warning}`,
    );
    expect(result.evidence).toEqual({ invocations: [1], requests: [1, 2, 3] });
  });

  it('finds a route-bound fault by its route ordinal', () => {
    const faults: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, route: 'POST /charges', fault: '429-retry-after', params: { retryAfterSeconds: 3 } }];
    const result = evaluate({ faults, requests: [lookup(1, 1, { startedMs: 0, endedMs: 5 }), tooMany(2, 10), at(3, 1000, 201)], effects: [eff(1, 3)] });
    expectStatus(result, 'fail');
    // The answer named is the 429 that carried Retry-After, not the look-up before it.
    expect(result.message).toContain(
      'request 2 (POST /charges to payments, fault 429-retry-after, got 429) said Retry-After 3, but request 3 (POST /charges to payments, got 201) came 980 ms later',
    );
  });

  it('counts a route-bound fault\'s ordinal among the earlier requests to that upstream and route only', () => {
    // The fault is on the second POST /charges to payments: not the first, not another upstream's POST /charges, not a look-up.
    const faults: FaultBinding[] = [{ upstream: 'payments', ordinal: 2, route: 'POST /charges', fault: '429-retry-after', params: { retryAfterSeconds: 3 } }];
    const otherUpstream = req(2, 1, { upstream: 'payments-eu', startedMs: 20, endedMs: 30 });
    const requests = [at(1, 0, 201), otherUpstream, lookup(3, 1, { startedMs: 40, endedMs: 50 }), tooMany(4, 100), at(5, 1_100, 201)];
    const result = evaluate({ faults, requests, effects: [eff(1, 1), eff(2, 2, { upstream: 'payments-eu' }), eff(3, 5)] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('request 4 (POST /charges to payments, fault 429-retry-after, got 429) said Retry-After 3, but request 5');
  });

  it("takes Retry-After only from the schedule's binding of that request's own fault", () => {
    // A slow look-up bound to GET /charges #1 is no binding of the 429 on POST /charges #1: that one says 3 s, not the default 1 s.
    const faults: FaultBinding[] = [
      { upstream: 'payments', ordinal: 1, route: 'GET /charges', fault: 'slow', params: { delayMs: 10 } },
      { upstream: 'payments', ordinal: 1, route: 'POST /charges', fault: '429-retry-after', params: { retryAfterSeconds: 3 } },
    ];
    const requests = [lookup(1, 1, { fault: 'slow', startedMs: 0, endedMs: 15 }), tooMany(2, 20), at(3, 1_500, 201)];
    const result = evaluate({ faults, requests, effects: [eff(1, 3)] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('said Retry-After 3, but request 3 (POST /charges to payments, got 201) came 1470 ms later (at least 2900 ms');
    // A fault the schedule does not bind (a ledger recorded under another schedule) says what it says by default.
    const unbound = evaluate({ faults: [], requests: [tooMany(1, 0), at(2, 500, 201)], effects: [eff(1, 2)] });
    expectStatus(unbound, 'fail');
    expect(unbound.message).toContain('said Retry-After 1, but request 2');
    // Nor are another fault's parameters at that request's position its own: a 503 bound there saying 5 s leaves the 429 at its 1 s.
    const otherFault: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '503-before-commit', params: { retryAfterSeconds: 5 } }];
    const waited = evaluate({ faults: otherFault, requests: [tooMany(1, 0), at(2, 1_500, 201)], effects: [eff(1, 2)] });
    expectStatus(waited, 'pass');
    expect(waited.message).toBe('create-order: retries bounded, backing off and honouring Retry-After (1 retry chain and 1 Retry-After)');
  });

  it('reads no Retry-After from a fault this version does not know (a ledger written by another version)', () => {
    const result = evaluate({ requests: [at(1, 0, 429, { fault: 'retired-fault' }), at(2, 50, 201)], effects: [eff(1, 2)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe('create-order: retries bounded, backing off and honouring Retry-After (1 retry chain)');
  });

  it('does not hold the client to a Retry-After it never got (it gave up before the 429 arrived)', () => {
    const faults: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '429-retry-after', params: { retryAfterSeconds: 2 } }];
    const gaveUp = at(1, 0, 429, { fault: '429-retry-after', delivery: 'abandoned', clientStatus: null, endedMs: 5 });
    const result = evaluate({ faults, requests: [gaveUp, at(2, 100, 201)], effects: [eff(1, 2)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe('create-order: retries bounded, backing off and honouring Retry-After (1 retry chain)');
  });

  it('does not hold the client to a Retry-After whose answer had not reached it (the row as the recorder starts it: no status, no end)', () => {
    const faults: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '429-retry-after', params: { retryAfterSeconds: 2 } }];
    const undelivered = at(1, 0, 429, { fault: '429-retry-after', clientStatus: null, endedMs: null });
    expect(undelivered.delivery).toBe('response');
    const result = evaluate({ faults, requests: [undelivered, at(2, 100, 201)], effects: [eff(1, 2)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe('create-order: retries bounded, backing off and honouring Retry-After (1 retry chain)');
  });

  it('is skipped when the target gave up after a Retry-After: no request followed it', () => {
    const result = evaluate({ invocations: [inv(1, { exitCode: 1, effect: 'none' })], faults: [{ upstream: 'payments', ordinal: 1, fault: '429-retry-after' }], requests: [tooMany(1, 0)] });
    expectStatus(result, 'skip');
  });

  it('says it judged Retry-After alone when no route was retried (the next request was a look-up)', () => {
    const faults: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '429-retry-after' }];
    const result = evaluate({ faults, requests: [tooMany(1, 0), lookup(2, 1, { startedMs: 1_500, endedMs: 1_510 })] });
    expectStatus(result, 'pass');
    expect(result.message).toBe('create-order: retries bounded, backing off and honouring Retry-After (1 Retry-After)');
  });

  it('judges the Retry-After of the next request to the same upstream only: a call to another upstream in between is no retry', () => {
    const faults: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '429-retry-after' }];
    const notify = req(2, 1, { upstream: 'mailer', path: '/messages', route: 'POST /messages', startedMs: 20, endedMs: 30 });
    const result = evaluate({ faults, requests: [tooMany(1, 0), notify, at(3, 1_020, 201)], effects: [eff(1, 3)] });
    expectStatus(result, 'pass');
    expect(result.message).toContain('(1 retry chain and 1 Retry-After)');
  });

  it('lists every problem of an invocation, with the requests involved in order', () => {
    // Request 1 said Retry-After 1; the look-up came 90 ms later. The POST chain 1, 3, 4 is one try too many.
    const faults: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '429-retry-after' }];
    const requests = [tooMany(1, 0), lookup(2, 1, { startedMs: 100, endedMs: 110 }), at(3, 1_100, 503), at(4, 1_200, 201)];
    const result = evaluate({ faults, requests, effects: [eff(1, 4)], scenario: { retryPolicy: { maxAttempts: 2, retryAfterToleranceMs: 100 } } });
    expectStatus(result, 'fail');
    expect(result.message).toMatch(/^create-order: invocation 1: sent payments POST \/charges 3 times in a row without success .* \| invocation 1: ignored Retry-After: request 1 .* but request 2 \(GET \/charges to payments, got 200\) came 90 ms later/);
    expect(result.evidence).toEqual({ invocations: [1], requests: [1, 2, 3, 4] });
  });

  describe('what a retry chain is', () => {
    const twoTries = { retryPolicy: { maxAttempts: 2, retryAfterToleranceMs: 100 } };

    it('a request that got no answer (a timeout) is a failed try', () => {
      const timedOut = (id: number, startedMs: number) =>
        at(id, startedMs, 201, { fault: 'timeout-before-commit', committed: false, outcome: 'not-run', delivery: 'held', clientStatus: null, upstreamStatus: null });
      const result = evaluate({ requests: [timedOut(1, 0), timedOut(2, 100), at(3, 300, 201)], effects: [eff(1, 3)], scenario: twoTries });
      expectStatus(result, 'fail');
      expect(result.message).toContain('sent payments POST /charges 3 times in a row without success (retryPolicy.maxAttempts: 2)');
    });

    it('a 400 is a failed try', () => {
      const rejected = (id: number, startedMs: number) => at(id, startedMs, 400, { fault: 'permanent-error' });
      const result = evaluate({ requests: [rejected(1, 0), rejected(2, 100), at(3, 300, 201)], effects: [eff(1, 3)], scenario: twoTries });
      expectStatus(result, 'fail');
      expect(result.message).toContain('3 times in a row without success');
    });

    it('a look-up in between does not break the chain', () => {
      const requests = [at(1, 0, 503), lookup(2, 1, { startedMs: 50, endedMs: 60 }), at(3, 100, 503), at(4, 300, 201)];
      const result = evaluate({ faults: outage, requests, effects: [eff(1, 4)], scenario: twoTries });
      expectStatus(result, 'fail');
      expect(result.message).toContain('sent payments POST /charges 3 times in a row without success');
      expect(result.evidence?.requests).toEqual([1, 3, 4]);
    });
  });

  it('applies Retry-After to the next request to that upstream on any route', () => {
    const result = evaluate({ requests: [tooMany(1, 0), lookup(2, 1, { startedMs: 100, endedMs: 110 })], faults: [{ upstream: 'payments', ordinal: 1, fault: '429-retry-after' }] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('but request 2 (GET /charges to payments, got 200) came 90 ms later');
  });

  it('leaves waits set by Retry-After out of the backoff comparison', () => {
    const faults: FaultBinding[] = [
      { upstream: 'payments', ordinal: 1, fault: '429-retry-after' },
      { upstream: 'payments', ordinal: 2, fault: '503-before-commit', params: noRetryAfter },
    ];
    const result = evaluate({ faults, requests: [tooMany(1, 0), at(2, 1020, 503), at(3, 1080, 201)], effects: [eff(1, 3)] });
    expectStatus(result, 'pass');
  });

  describe('no wait after a 409, 429 or 503', () => {
    const inFlight = (id: number, startedMs: number): RequestRow => at(id, startedMs, 409, { fault: '409-in-flight' });
    const held: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '409-in-flight', andAfter: true }];

    it('fails a client that asks again at once about a key in flight, even within maxAttempts', () => {
      // Each request takes 10 ms; the next starts 1-3 ms after the answer: no wait at all, 4 times.
      const requests = [inFlight(1, 0), inFlight(2, 11), inFlight(3, 23), inFlight(4, 34), at(5, 47, 201)];
      const result = evaluate({ faults: held, requests, effects: [eff(1, 5)] });
      expectStatus(result, 'fail');
      expect(result.message).toBe(
        'create-order: invocation 1: retried payments POST /charges with no wait after 409 4 times (a retry within 10 ms of the answer it follows has none): request 1 (POST /charges to payments, fault 409-in-flight, got 409) was followed by request 2 1 ms later, and 3 more retries like it',
      );
      expect(result.evidence).toEqual({ invocations: [1], requests: [1, 2, 3, 4, 5] });
    });

    it('counts a retry sent the very millisecond the answer ended, and says how many more there were', () => {
      const result = evaluate({ faults: held, requests: [inFlight(1, 0), inFlight(2, 10), at(3, 20, 201)], effects: [eff(1, 3)] });
      expectStatus(result, 'fail');
      expect(result.message).toContain('with no wait after 409 2 times (a retry within 10 ms of the answer it follows has none): request 1 (POST /charges to payments, fault 409-in-flight, got 409) was followed by request 2 0 ms later, and 1 more retry like it');
    });

    it('says "only 10 ms", not "no wait at all", for a shrinking wait of exactly the limit', () => {
      const result = evaluate({ faults: outage, requests: [at(1, 0, 503), at(2, 110, 409, { fault: '409-in-flight' }), at(3, 130, 201)], effects: [eff(1, 3)] });
      expectStatus(result, 'fail');
      expect(result.message).toContain('waited 100 ms before request 2, then only 10 ms before request 3');
    });

    it('does not count an answer that was cut off: the client never read that it should wait', () => {
      const cutOff = (id: number, startedMs: number) => at(id, startedMs, 409, { fault: 'truncate-after-commit', committed: false, outcome: 'rejected', delivery: 'truncated', upstreamStatus: 409 });
      const faults: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: 'truncate-after-commit', andAfter: true }];
      const result = evaluate({ faults, requests: [cutOff(1, 0), cutOff(2, 11), cutOff(3, 22), at(4, 33, 201)], effects: [eff(1, 4)] });
      expectStatus(result, 'pass');
    });

    it('leaves retries after a Retry-After of 0 to the Retry-After rule: the server said "now"', () => {
      const faults: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '409-in-flight', andAfter: true, params: { retryAfterSeconds: 0 } }];
      const result = evaluate({ faults, requests: [inFlight(1, 0), inFlight(2, 11), at(3, 22, 201)], effects: [eff(1, 3)] });
      expectStatus(result, 'pass');
      expect(result.message).toContain('(1 retry chain and 2 Retry-Afters)');
    });

    it('counts 429 and 503 without Retry-After as well, and names each status', () => {
      // The 429 is the upstream's own (no fault, no Retry-After known): only the no-wait rule judges it.
      const requests = [at(1, 0, 503), at(2, 12, 429, { fault: 'none' }), at(3, 24, 201)];
      const result = evaluate({ faults: outage, requests, effects: [eff(1, 3)] });
      expectStatus(result, 'fail');
      expect(result.message).toContain('with no wait after 503, 429 2 times');
    });

    it('says "no wait at all" when a shrinking wait is a retry at once after such an answer', () => {
      const result = evaluate({ faults: outage, requests: [at(1, 0, 503), at(2, 110, 409, { fault: '409-in-flight' }), at(3, 122, 201)], effects: [eff(1, 3)] });
      expectStatus(result, 'fail');
      expect(result.message).toBe(
        'create-order: invocation 1: does not back off on payments POST /charges: waited 100 ms before request 2, then no wait at all (2 ms) before request 3 (after request 2 (POST /charges to payments, fault 409-in-flight, got 409); tolerance 50 ms)',
      );
    });

    it('passes a client that waits, and a single retry at once (a full-jitter backoff may draw ~0 ms once)', () => {
      const waits = [inFlight(1, 0), inFlight(2, 60), inFlight(3, 180), at(4, 400, 201)];
      expectStatus(evaluate({ faults: held, requests: waits, effects: [eff(1, 4)] }), 'pass');
      const once = [inFlight(1, 0), inFlight(2, 12), inFlight(3, 80), at(4, 200, 201)];
      expectStatus(evaluate({ faults: held, requests: once, effects: [eff(1, 4)] }), 'pass');
      // 10 ms is a wait: the limit is strict.
      const tenMs = [inFlight(1, 0), inFlight(2, 20), inFlight(3, 40), at(4, 60, 201)];
      expectStatus(evaluate({ faults: held, requests: tenMs, effects: [eff(1, 4)] }), 'pass');
    });

    it('on a busy machine, widens "no wait" by the scheduling noise measured during the case, up to 40 ms', () => {
      // At load 11 an immediate retry was measured 20-30 ms after the answer it followed.
      const loaded = [inFlight(1, 0), inFlight(2, 34), inFlight(3, 70), at(4, 103, 201)];
      const busy = (noise: number, requests: RequestRow[]) => retryPolicy.evaluate({ ...input({ invocations: [inv(1)], faults: held, requests, effects: [eff(1, 4)] }), timing: { schedulingNoiseMs: noise } });
      expectStatus(evaluate({ faults: held, requests: loaded, effects: [eff(1, 4)] }), 'pass');
      const caught = busy(30, loaded);
      expectStatus(caught, 'fail');
      expect(caught.message).toContain('with no wait after 409 3 times (a retry within 40 ms of the answer it follows has none: 10 ms and the 30 ms of scheduling noise measured during the case, at most 40)');
      // A deliberate 50 ms back-off is a wait, however noisy the case.
      const backsOff = [inFlight(1, 0), inFlight(2, 60), inFlight(3, 120), at(4, 180, 201)];
      expectStatus(busy(200, backsOff), 'pass');
    });

    it('leaves answers with Retry-After to the Retry-After rule, and errors that ask for no wait out', () => {
      const faults: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '409-in-flight', andAfter: true, params: { retryAfterSeconds: 1 } }];
      const result = evaluate({ faults, requests: [inFlight(1, 0), inFlight(2, 12), at(3, 24, 201)], effects: [eff(1, 3)] });
      expectStatus(result, 'fail');
      expect(result.message).toContain('ignored Retry-After: request 1');
      expect(result.message).not.toContain('no wait');
      // A 500 or a dropped connection says nothing about waiting: only backoff and the bound judge those.
      const fiveHundred = [at(1, 0, 500), at(2, 11, 500), at(3, 22, 201)];
      expectStatus(evaluate({ faults: outage, requests: fiveHundred, effects: [eff(1, 3)] }), 'pass');
    });
  });

  it('leaves out requests that cannot be attributed, and says so', () => {
    const result = evaluate({
      faults: outage,
      invocations: [inv(1, { role: 'concurrent' }), inv(2, { role: 'concurrent' })],
      requests: [refused(1, null, 503, { startedMs: 0 }), refused(2, null, 503, { startedMs: 5 })],
    });
    expectStatus(result, 'skip');
    expect(result.message).toContain('(2 requests sent while several invocations ran could not be attributed and were left out)');
  });

  it('names every invocation that ignored Retry-After, in order, whichever of them retried first', () => {
    // Two racers: racer 2 reached the upstream before racer 1 had started, and racer 1 after racer 2 had ended.
    const faults: FaultBinding[] = [{ upstream: 'payments', ordinal: 1, fault: '429-retry-after', andAfter: true }];
    const racer = (id: number, startedMs: number) => inv(id, { role: 'concurrent', startedMs, durationMs: 400 });
    const requests = [tooMany(1, 0), at(2, 100, 201), tooMany(3, 500), at(4, 600, 201)].map((request, i) => ({ ...request, invocationId: i < 2 ? 2 : 1 }));
    const result = evaluate({ faults, invocations: [racer(1, 300), racer(2, 0)], requests, effects: [eff(1, 2), eff(2, 4)] });
    expectStatus(result, 'fail');
    expect(result.message).toMatch(/^create-order: invocation 2: ignored Retry-After: request 1 .* \| invocation 1: ignored Retry-After: request 3 /);
    expect(result.evidence).toEqual({ invocations: [1, 2], requests: [1, 2, 3, 4] });
  });

  it('judges each invocation on its own', () => {
    const result = evaluate({
      faults: outage,
      invocations: [inv(1, { exitCode: 75, effect: 'unknown' }), inv(2)],
      requests: [at(1, 0, 503), at(2, 400, 503), req(3, 2, { startedMs: 2000, endedMs: 2010 })],
      effects: [eff(1, 3)],
    });
    expectStatus(result, 'pass');
  });
});

describeEndToEnd('retry-policy end to end', () => {
  it('fails a tool that ignores Retry-After', async () => {
    const run = await runProbeTool({ bug: 'ignore-retry-after', faults: ['429-retry-after'] });
    const result = run.check('create-order/429-retry-after@payments#1', 'retry-policy');
    expectStatus(result, 'fail');
    expect(result.message).toMatch(/^create-order: invocation 1: ignored Retry-After: request 1 \(POST \/charges to payments, fault 429-retry-after, got 429\) said Retry-After 1, but request 2 \(POST \/charges to payments, got 201\) came \d+ ms later \(at least 900 ms/);
    expect(result.evidence).toEqual({ invocations: [1], requests: [1, 2] });
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual(['retry-policy']);
  });

  it('fails a tool whose retries are unbounded under a persistent outage', async () => {
    const run = await runProbeTool({ bug: 'unbounded', faults: ['503-before-commit'], probes: { persistent: true }, retryPolicy: { maxAttempts: 3 } });
    const result = run.check('create-order/503-before-commit@payments#1+', 'retry-policy');
    expectStatus(result, 'fail');
    // The tool stops after 6 tries; a loaded machine may cut it short at its timeout, never at 3.
    const sent = /sent payments POST \/charges (\d+) times in a row without success \(retryPolicy\.maxAttempts: 3\)/.exec(result.message);
    expect(sent, result.message).not.toBeNull();
    expect(Number(sent![1])).toBeGreaterThan(3);
    expectStatus(run.check('create-order/503-before-commit@payments#1', 'retry-policy'), 'pass');
  });

  it('fails a tool whose waits shrink', async () => {
    const run = await runProbeTool({ bug: 'shrinking-backoff', faults: ['503-before-commit'], probes: { persistent: true }, retryPolicy: { maxAttempts: 3 } });
    const result = run.check('create-order/503-before-commit@payments#1+', 'retry-policy');
    expectStatus(result, 'fail');
    expect(result.message).toMatch(/does not back off on payments POST \/charges: waited \d+ ms before request 2, then (only \d+ ms|no wait at all \(\d+ ms\)) before request 3/);
  });

  it('passes the twin: it waits out Retry-After', async () => {
    const run = await runProbeTool({ faults: ['429-retry-after'] });
    const result = run.check('create-order/429-retry-after@payments#1', 'retry-policy');
    expectStatus(result, 'pass');
    expect(result.message).toContain('(1 retry chain and 1 Retry-After)');
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual([]);
  });

  it('passes the twin: bounded retries with exponential backoff', async () => {
    const run = await runProbeTool({ faults: ['503-before-commit'], probes: { persistent: true }, retryPolicy: { maxAttempts: 3 } });
    expectStatus(run.check('create-order/503-before-commit@payments#1', 'retry-policy'), 'pass');
    expectStatus(run.check('create-order/503-before-commit@payments#1+', 'retry-policy'), 'pass');
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual([]);
  });
});
