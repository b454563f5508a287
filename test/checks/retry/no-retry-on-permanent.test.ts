import { describe, expect, it } from 'vitest';
import { noRetryOnPermanent, PERMANENT_STATUSES } from '../../../src/checks/retry/no-retry-on-permanent.js';
import { eff, input, inv, lookup, refused, req, type Spec } from '../../fixtures/check-targets-2/rows.js';
import { expectStatus, problems, runProbeTool } from '../../fixtures/check-targets-2/run-probe-tool.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const evaluate = (spec: Spec) => noRetryOnPermanent.evaluate(input({ faults: [{ upstream: 'payments', ordinal: 1, fault: 'permanent-error' }], ...spec }));
const rejected = (id: number, invocationId: number | null, status = 400) => refused(id, invocationId, status, { fault: 'permanent-error' });

describe('no-retry-on-permanent on hand-built rows', () => {
  it('is skipped when no upstream answered a permanent error', () => {
    const result = evaluate({ invocations: [inv(1)], requests: [refused(1, 1, 503), req(2, 1)], effects: [eff(1, 2)] });
    expectStatus(result, 'skip');
    expect(result.message).toBe('create-order: no upstream answered a permanent error (400, 401, 403, 404, 422) in this case');
  });

  it('passes an invocation that gives up after a 400; the caller\'s own retry is another invocation', () => {
    const result = evaluate({
      invocations: [inv(1, { exitCode: 1, effect: 'none' }), inv(2)],
      requests: [rejected(1, 1), lookup(2, 1), req(3, 2)],
      effects: [eff(1, 3)],
    });
    expectStatus(result, 'pass');
    expect(result.message).toBe('create-order: no request was sent again after a permanent error (request 1: 400)');
  });

  it.each(PERMANENT_STATUSES)('fails an invocation that sends the route again after %i', (status) => {
    const result = evaluate({ invocations: [inv(1)], requests: [rejected(1, 1, status), req(2, 1)], effects: [eff(1, 2)] });
    expectStatus(result, 'fail');
    expect(result.message).toBe(
      `create-order: invocation 1 got a permanent ${status} on request 1 (POST /charges to payments, fault permanent-error, got ${status}) and then sent payments POST /charges again: request 2 (POST /charges to payments, got 201)`,
    );
    expect(result.evidence).toEqual({ invocations: [1], requests: [1, 2] });
  });

  it('reports a run of retries once, from the first permanent error', () => {
    const result = evaluate({ invocations: [inv(1, { exitCode: 1, effect: 'none' })], requests: [rejected(1, 1), rejected(2, 1), rejected(3, 1)] });
    expectStatus(result, 'fail');
    expect(result.message.match(/got a permanent/g)).toHaveLength(1);
    expect(result.message).toContain('request 2 (POST /charges to payments, fault permanent-error, got 400); request 3');
    expect(result.evidence?.requests).toEqual([1, 2, 3]);
  });

  it('lets 409 and 429 be retried', () => {
    const result = evaluate({ invocations: [inv(1)], requests: [refused(1, 1, 409), refused(2, 1, 429), req(3, 1)], effects: [eff(1, 3)] });
    expectStatus(result, 'skip');
  });

  it('judges only the route that was refused', () => {
    const result = evaluate({
      invocations: [inv(1)],
      // A look-up that found nothing (404), then the create: another route, not a retry.
      requests: [lookup(1, 1, { clientStatus: 404, upstreamStatus: 404 }), req(2, 1)],
      effects: [eff(1, 2)],
    });
    expectStatus(result, 'pass');
    expect(result.message).toContain('(request 1: 404)');
  });

  it('lets a read that found nothing (404) be sent again once something was created (issue 18, hole 4)', () => {
    const get = (id: number, status: number) =>
      lookup(id, 1, { path: '/charges/cha_1', route: 'GET /charges/cha_1', clientStatus: status, upstreamStatus: status });
    // Look it up, not there, create it, look it up again: the state changed in between, so the same GET may now find it.
    const created = evaluate({ invocations: [inv(1)], requests: [get(1, 404), req(2, 1), get(3, 200)], effects: [eff(1, 2)] });
    expectStatus(created, 'pass');
    // Nothing committed between the two reads: the second is the same request with the same answer.
    const polled = evaluate({ invocations: [inv(1)], requests: [get(1, 404), get(2, 404), req(3, 1)], effects: [eff(1, 3)] });
    expectStatus(polled, 'fail');
    expect(polled.message).toContain('got a permanent 404 on request 1 (GET /charges/cha_1 to payments, got 404) and then sent payments GET /charges/cha_1 again: request 2');
    // A write is not excused by a commit in between: the refused body is still refused.
    const rewritten = evaluate({
      invocations: [inv(1)],
      requests: [rejected(1, 1), req(2, 1, { path: '/refunds', route: 'POST /refunds' }), req(3, 1)],
      effects: [eff(1, 2, { route: 'POST /refunds' }), eff(2, 3)],
    });
    expectStatus(rewritten, 'fail');
  });

  it('does not excuse reading again by a commit before the read, nor by one on another upstream', () => {
    const get = (id: number, overrides = {}) => lookup(id, 1, { path: '/charges/cha_9', route: 'GET /charges/cha_9', clientStatus: 404, upstreamStatus: 404, ...overrides });
    // The charge was created first; the read of another one found nothing, twice: nothing changed in between.
    const before = evaluate({ invocations: [inv(1)], requests: [req(1, 1), get(2), get(3)], effects: [eff(1, 1)] });
    expectStatus(before, 'fail');
    expect(before.message).toContain('got a permanent 404 on request 2');
    // An email sent in between changed nothing on payments.
    const email = req(2, 1, { upstream: 'mailer', path: '/messages', route: 'POST /messages' });
    const elsewhere = evaluate({ invocations: [inv(1)], requests: [get(1), email, get(3)], effects: [eff(1, 2, { upstream: 'mailer', route: 'POST /messages' })] });
    expectStatus(elsewhere, 'fail');
    expect(elsewhere.message).toContain('got a permanent 404 on request 1');
  });

  it('judges the refused upstream only: the same route on another upstream is another request', () => {
    const result = evaluate({ invocations: [inv(1)], requests: [rejected(1, 1), req(2, 1, { upstream: 'payments-eu' })], effects: [eff(1, 2, { upstream: 'payments-eu' })] });
    expectStatus(result, 'pass');
  });

  it('reports each route and each invocation that was retried after a permanent error, requests in order', () => {
    // Invocation 1 got 400 on POST /charges and 422 on POST /refunds, and sent both again (refunds first).
    const refunds = { path: '/refunds', route: 'POST /refunds' };
    const twoRoutes = evaluate({
      invocations: [inv(1, { exitCode: 1, effect: 'none' })],
      requests: [rejected(1, 1), refused(2, 1, 422, { fault: 'permanent-error', ...refunds }), refused(3, 1, 422, refunds), rejected(4, 1)],
    });
    expectStatus(twoRoutes, 'fail');
    expect(twoRoutes.message).toBe(
      'create-order: invocation 1 got a permanent 400 on request 1 (POST /charges to payments, fault permanent-error, got 400) and then sent payments POST /charges again: request 4 (POST /charges to payments, fault permanent-error, got 400)' +
        ' | invocation 1 got a permanent 422 on request 2 (POST /refunds to payments, fault permanent-error, got 422) and then sent payments POST /refunds again: request 3 (POST /refunds to payments, got 422)',
    );
    expect(twoRoutes.evidence).toEqual({ invocations: [1], requests: [1, 2, 3, 4] });
    // The caller's retry (invocation 2) made the same mistake again: its own finding, not folded into invocation 1's.
    const twice = evaluate({
      invocations: [inv(1, { exitCode: 1, effect: 'none' }), inv(2)],
      requests: [rejected(1, 1), rejected(2, 1), rejected(3, 2), req(4, 2)],
      effects: [eff(1, 4)],
    });
    expectStatus(twice, 'fail');
    expect(twice.message.match(/invocation \d got a permanent/g)).toEqual(['invocation 1 got a permanent', 'invocation 2 got a permanent']);
    // A permanent error on another upstream's same route is its own finding too.
    const eu = { upstream: 'payments-eu' };
    const twoUpstreams = evaluate({ invocations: [inv(1, { exitCode: 1, effect: 'none' })], requests: [rejected(1, 1), refused(2, 1, 400, { fault: 'permanent-error', ...eu }), refused(3, 1, 400, eu)] });
    expectStatus(twoUpstreams, 'fail');
    expect(twoUpstreams.message).toContain('then sent payments-eu POST /charges again: request 3');
  });

  it('names every permanent error it found when nothing was sent again', () => {
    const result = evaluate({ invocations: [inv(1, { exitCode: 1, effect: 'none' })], requests: [lookup(1, 1, { clientStatus: 404, upstreamStatus: 404 }), rejected(2, 1)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe('create-order: no request was sent again after a permanent error (request 1: 404, request 2: 400)');
  });

  it('cannot attribute a permanent error that came while several invocations ran', () => {
    const result = evaluate({ invocations: [inv(1, { role: 'concurrent' }), inv(2, { role: 'concurrent' })], requests: [rejected(1, null), req(2, null)], effects: [eff(1, 2)] });
    expectStatus(result, 'skip');
    expect(result.message).toContain('(1 permanent error came while several invocations ran and could not be attributed)');
  });
});

describeEndToEnd('no-retry-on-permanent end to end', () => {
  it('fails a tool that retries a 400 as if it were a 503', async () => {
    const run = await runProbeTool({ bug: 'retry-permanent', faults: ['permanent-error'] });
    const result = run.check('create-order/permanent-error@payments#1', 'no-retry-on-permanent');
    expectStatus(result, 'fail');
    expect(result.message).toBe(
      'create-order: invocation 1 got a permanent 400 on request 1 (POST /charges to payments, fault permanent-error, got 400) and then sent payments POST /charges again: request 2 (POST /charges to payments, got 201)',
    );
    expect(result.evidence).toEqual({ invocations: [1], requests: [1, 2] });
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual(['no-retry-on-permanent']);
  });

  it('passes its twin, which reports none and exits 1', async () => {
    const run = await runProbeTool({ faults: ['permanent-error'], caller: { retries: 1 } });
    const result = run.check('create-order/permanent-error@payments#1', 'no-retry-on-permanent');
    expectStatus(result, 'pass');
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual([]);
  });
});
