import { describe, expect, it } from 'vitest';
import { noLostEffects } from '../../../src/checks/effects/no-lost-effects.js';
import { noDuplicateEffects } from '../../../src/checks/effects/no-duplicate-effects.js';
import { outcomeHonesty } from '../../../src/checks/contract/outcome-honesty.js';
import { failuresOf, runCareful } from '../careful-tool.js';
import { baselineOf, caseInput, effect, email, invocation, KEY, killed, request } from '../rows.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const evaluate = (spec: Parameters<typeof caseInput>[0]) => noLostEffects.evaluate(caseInput(spec));
/** The clean run of a tool that charges and then sends an email. */
const chargeAndEmail = () => baselineOf([effect(1, 1), email(2, 2)]);

describe('no-lost-effects on hand-written rows', () => {
  describe('an operation that ended in success', () => {
    it('passes with all of the clean run\'s effects', () => {
      const result = evaluate({ invocations: [invocation(1)], requests: [request(1, 1)], effects: [effect(1, 1)] });
      expect(result.status).toBe('pass');
      expect(result.message).toContain('create-order');
    });

    it('fails when it reported success after a 503 before commit, naming the operation, the route and the invocation', () => {
      const result = evaluate({
        invocations: [invocation(1, { effect: 'created' }), invocation(2, { role: 'replay', effect: 'noop' })],
        requests: [request(1, 1, { fault: '503-before-commit', committed: false, outcome: 'not-run', clientStatus: 503 })],
        effects: [],
      });
      expect(result.status).toBe('fail');
      expect(result.message).toBe('create-order: reported success but effects are missing: 0 charges on payments POST /charges (clean run: 1)');
      // The attempt that claimed success, not the replay.
      expect(result.evidence?.invocations).toEqual([1]);
      expect(result.evidence?.effects).toEqual([]);
    });

    it('names only the routes that are short, and the effects that are there', () => {
      const result = evaluate({
        baseline: chargeAndEmail(),
        invocations: [invocation(1)],
        requests: [request(1, 1), request(2, 1, { upstream: 'mailer', committed: false, outcome: 'not-run' })],
        effects: [effect(1, 1)],
      });
      expect(result.status).toBe('fail');
      expect(result.message).toContain('0 emails on mailer POST /messages (clean run: 1)');
      expect(result.message).not.toContain('POST /charges');
      expect(result.evidence).toEqual({ invocations: [1], effects: [1] });
    });

    it('fails when a route has fewer effects than the clean run', () => {
      const result = evaluate({
        baseline: baselineOf([effect(1, 1), effect(2, 2)]),
        invocations: [invocation(1)],
        requests: [request(1, 1)],
        effects: [effect(1, 1)],
      });
      expect(result.status).toBe('fail');
      expect(result.message).toContain('1 charge on payments POST /charges (clean run: 2)');
    });

    it('judges by the last attempt: an earlier killed attempt does not matter, and the evidence names the last one', () => {
      const done = evaluate({
        invocations: [killed(1), invocation(2, { effect: 'noop' }), invocation(3, { role: 'replay', effect: 'noop' })],
        requests: [request(1, 1, { fault: 'crash-after-commit', delivery: 'crashed' }), request(2, 2, { method: 'GET', committed: false, outcome: 'read' })],
        effects: [effect(1, 1)],
      });
      expect(done.status).toBe('pass');
      const lost = evaluate({
        invocations: [invocation(1, { exitCode: 1, effect: 'unknown' }), invocation(2, { effect: 'created' })],
        requests: [request(1, 1, { fault: 'timeout-before-commit', committed: false, outcome: 'not-run', delivery: 'held' })],
        effects: [],
      });
      expect(lost.status).toBe('fail');
      expect(lost.evidence?.invocations).toEqual([2]);
    });

    it('is not decided by the replay', () => {
      const result = evaluate({
        invocations: [invocation(1), invocation(2, { role: 'replay', exitCode: 1, effect: 'none' })],
        requests: [request(1, 1)],
        effects: [effect(1, 1)],
      });
      expect(result.status).toBe('pass');
    });

    it('leaves extra effects to no-duplicate-effects', () => {
      const result = evaluate({ invocations: [invocation(1)], requests: [request(1, 1), request(2, 1)], effects: [effect(1, 1), effect(2, 2)] });
      expect(result.status).toBe('pass');
    });

    it('reads success from the scenario\'s exit codes', () => {
      const exitCodes = { success: [0, 10], failure: [1, 3] };
      const ten = evaluate({ exitCodes, invocations: [invocation(1, { exitCode: 10 })], effects: [] });
      expect(ten.status).toBe('fail');
      expect(ten.message).toContain('reported success');
      const three = evaluate({ exitCodes, invocations: [invocation(1, { exitCode: 3, effect: 'none' })], effects: [] });
      expect(three.status).toBe('pass');
    });

    // DESIGN.md, "The oracle": the clean run's effects are a multiset of
    // (upstream, route, body fingerprint); "a missing one is lost".
    it('compares effects by fingerprint, not only by route: a charge of another amount does not stand in for the clean run\'s', () => {
      const result = evaluate({
        invocations: [invocation(1)],
        requests: [request(1, 1, { body: '{"amount":1}' })],
        effects: [effect(1, 1, { body: '{"amount":1}', fingerprint: 'payments POST /charges amount-1' })],
      });
      expect(result.status).toBe('fail');
      expect(result.message).toContain('create-order');
    });
  });

  describe('an operation that ended in failure', () => {
    const failed = () => [invocation(1, { exitCode: 1, effect: 'none' }), invocation(2, { exitCode: 1, effect: 'none' }), invocation(3, { exitCode: 1, effect: 'none' })];

    it('may leave none of its effects', () => {
      const result = evaluate({ invocations: failed(), requests: [request(1, 1, { committed: false, outcome: 'rejected', upstreamStatus: 400, clientStatus: 400 })], effects: [] });
      expect(result.status).toBe('pass');
      expect(result.message).toBe('create-order: ended in failure and left none of its effects');
    });

    it('may leave all of its effects', () => {
      const result = evaluate({ baseline: chargeAndEmail(), invocations: failed(), requests: [request(1, 1), request(2, 1)], effects: [effect(1, 1), email(2, 2)] });
      expect(result.status).toBe('pass');
      expect(result.message).toBe('create-order: ended in failure and left all of its effects');
    });

    it('may not leave part of them: naming the missing route, the last attempt and the effects left', () => {
      const result = evaluate({
        baseline: chargeAndEmail(),
        invocations: failed(),
        requests: [request(1, 1), request(2, 1, { upstream: 'mailer', fault: '503-before-commit', committed: false, outcome: 'not-run' })],
        effects: [effect(1, 1)],
      });
      expect(result.status).toBe('fail');
      expect(result.message).toBe('create-order: ended in failure and left part of its effects: 0 emails on mailer POST /messages (clean run: 1); invocations 2, 3 ran after it and did not finish them');
      expect(result.evidence).toEqual({ invocations: [3], effects: [1] });
    });

    it('only warns about a part left by the last invocation to run: killed between two upstreams, never run again (issue 13, class 7)', () => {
      const result = evaluate({
        baseline: chargeAndEmail(),
        invocations: [killed(1)],
        requests: [request(1, 1, { fault: 'crash-after-commit', delivery: 'crashed' })],
        effects: [effect(1, 1)],
      });
      expect(result.status).toBe('warn');
      expect(result.message).toBe(
        'create-order: ended with an unknown outcome and left part of its effects (0 emails on mailer POST /messages (clean run: 1)), but no later invocation had the chance to finish them: invocation 1 was the last to run',
      );
      // The same partial state after a retry that did not finish it is lost.
      const retried = evaluate({
        baseline: chargeAndEmail(),
        invocations: [killed(1), invocation(2, { exitCode: 1, effect: 'none' })],
        requests: [request(1, 1, { fault: 'crash-after-commit', delivery: 'crashed' })],
        effects: [effect(1, 1)],
      });
      expect(retried.status).toBe('fail');
      expect(retried.message).toContain('invocation 2 ran after it and did not finish them');
    });

    it('only warns when every later invocation was stopped by the schedule: killed by a crash, or faulted on its own request (bug zoo 26)', () => {
      // The retry got the charge back from payments' key store (nothing committed), then the schedule stopped it before the email.
      const replayedCharge = { committed: false, outcome: 'replayed' as const };
      const crashed = evaluate({
        baseline: chargeAndEmail(),
        invocations: [killed(1), killed(2)],
        requests: [request(1, 1, { fault: 'crash-after-commit', delivery: 'crashed' }), request(2, 2, { ...replayedCharge, fault: 'crash-after-commit', delivery: 'crashed' })],
        effects: [effect(1, 1)],
      });
      expect(crashed.status).toBe('warn');
      expect(crashed.message).toBe(
        'create-order: ended with an unknown outcome and left part of its effects (0 emails on mailer POST /messages (clean run: 1)), but no later invocation had the chance to finish them: invocation 2 was killed by a crash fault',
      );
      const refused = evaluate({
        baseline: chargeAndEmail(),
        invocations: [killed(1), invocation(2, { exitCode: 75, effect: 'unknown' })],
        requests: [
          request(1, 1, { fault: 'crash-after-commit', delivery: 'crashed' }),
          request(2, 2, replayedCharge),
          request(3, 2, { upstream: 'mailer', fault: '503-before-commit', committed: false, outcome: 'not-run', clientStatus: 503 }),
        ],
        effects: [effect(1, 1)],
      });
      expect(refused.status).toBe('warn');
      expect(refused.message).toContain('no later invocation had the chance to finish them: invocation 2 got 503-before-commit on request 3');
      // A later invocation that only got its answers slowly had its chance.
      const slowed = evaluate({
        baseline: chargeAndEmail(),
        invocations: [killed(1), invocation(2, { exitCode: 1, effect: 'none' })],
        requests: [request(1, 1, { fault: 'crash-after-commit', delivery: 'crashed' }), request(2, 2, { ...replayedCharge, fault: 'slow' })],
        effects: [effect(1, 1)],
      });
      expect(slowed.status).toBe('fail');
      expect(slowed.message).toContain('invocation 2 ran after it and did not finish them');
    });

    it('does not take a concurrent duplicate for a later invocation: it ran beside the one that left the part (bug zoo 26)', () => {
      const racer = (id: number) => killed(id, { role: 'concurrent', startedMs: 0, durationMs: 900 });
      const result = evaluate({
        baseline: chargeAndEmail(),
        invocations: [racer(1), racer(2)],
        requests: [request(1, 1, { fault: 'crash-after-commit', delivery: 'crashed' })],
        effects: [effect(1, 1)],
      });
      expect(result.status).toBe('warn');
      expect(result.message).toContain('no later invocation had the chance to finish them: invocations 1, 2 ran at once, and none ran after them');
    });

    it('may not leave part of one route\'s effects', () => {
      const result = evaluate({ baseline: baselineOf([effect(1, 1), effect(2, 2)]), invocations: failed(), effects: [effect(1, 1)] });
      expect(result.status).toBe('fail');
      expect(result.message).toContain('1 charge on payments POST /charges (clean run: 2)');
    });

    it('counts an undeclared exit code as a failure, not a success', () => {
      const result = evaluate({ invocations: [invocation(1, { exitCode: 7, effect: 'none' })], effects: [] });
      expect(result.status).toBe('pass');
      expect(result.message).toContain('in failure');
    });
  });

  describe('an operation whose outcome is unknown (killed, or it said it cannot tell)', () => {
    it('is not "done": a killed last attempt with nothing committed is not a lost effect', () => {
      const result = evaluate({ invocations: [killed(1), killed(2, { killReason: 'timeout' }), killed(3)], requests: [request(1, 1, { committed: false, outcome: 'not-run' })], effects: [] });
      expect(result.status).toBe('pass');
      expect(result.message).toBe('create-order: ended with an unknown outcome and left none of its effects');
    });

    it('is not "failed" either: a killed last attempt after commit may leave all of its effects', () => {
      const result = evaluate({ invocations: [killed(1)], requests: [request(1, 1, { fault: 'crash-after-commit', delivery: 'crashed' })], effects: [effect(1, 1)] });
      expect(result.status).toBe('pass');
      expect(result.message).toBe('create-order: ended with an unknown outcome and left all of its effects');
    });

    it('treats effect "unknown" with a failure code, and an end by signal, as unknown outcomes', () => {
      const saidUnknown = evaluate({ exitCodes: { success: [0], failure: [1, 75] }, invocations: [invocation(1, { exitCode: 75, effect: 'unknown' })], effects: [] });
      expect(saidUnknown.status).toBe('pass');
      expect(saidUnknown.message).toContain('unknown outcome');
      const signalled = evaluate({ invocations: [invocation(1, { exitCode: null, signal: 'SIGSEGV', effect: null, stdoutJson: null, stdout: '' })], effects: [] });
      expect(signalled.status).toBe('pass');
      expect(signalled.message).toContain('unknown outcome');
    });

    it('may not leave an effect its clean run never made: a retry that charged another amount (issue 18, hole 2)', () => {
      // Attempt 1 timed out before commit; its retry charged 200 instead of 100 and said it cannot tell.
      const rows = {
        exitCodes: { success: [0], failure: [1, 75] },
        invocations: [killed(1, { killReason: 'timeout' }), invocation(2, { exitCode: 75, effect: 'unknown' })],
        requests: [request(1, 1, { fault: 'timeout-before-commit', committed: false, outcome: 'not-run', delivery: 'held', clientStatus: null }), request(2, 2, { body: '{"amount":200}' })],
        effects: [effect(1, 2, { body: '{"amount":200}', fingerprint: 'payments POST /charges amount-200' })],
      };
      const result = evaluate(rows);
      expect(result.status).toBe('fail');
      expect(result.message).toBe(
        'create-order: ended with an unknown outcome and left an effect its clean run never made (the retry changed the request): effect 1 (cha_1, request 2, key rp-0123456789ab-1) payments POST /charges {"amount":200} (if a field differs from run to run by design, list it in the upstream\'s ignoreFields)',
      );
      expect(result.evidence).toEqual({ invocations: [2], effects: [1] });
      // Reported here alone: one charge is no duplicate, and "unknown" is an honest answer.
      expect(noDuplicateEffects.evaluate(caseInput(rows)).status).toBe('pass');
      expect(outcomeHonesty.evaluate(caseInput(rows)).status).toBe('skip');
      // The same with the clean run's charge: all of its effects, and nothing else.
      const same = evaluate({ ...rows, requests: [rows.requests[0]!, request(2, 2)], effects: [effect(1, 2)] });
      expect(same.status).toBe('pass');
      // An effect on a route the clean run never used is no changed request (a compensation, say): no-duplicate-effects judges it.
      const refund = evaluate({ ...rows, effects: [effect(1, 2, { route: 'POST /refunds', body: '{"charge":"cha_0"}', fingerprint: 'payments POST /refunds x' })] });
      expect(refund.status).toBe('pass');
    });

    it('names an effect the clean run never made after a success too', () => {
      const result = evaluate({
        invocations: [killed(1), invocation(2)],
        requests: [request(1, 1, { fault: 'crash-after-commit', delivery: 'crashed' }), request(2, 2, { body: '{"amount":200}' })],
        effects: [effect(1, 1), effect(2, 2, { body: '{"amount":200}', fingerprint: 'payments POST /charges amount-200' })],
      });
      expect(result.status).toBe('fail');
      expect(result.message).toContain('reported success but left an effect its clean run never made (the retry changed the request): effect 2');
    });

    it('an "unknown" reported with exit 0 is still not a success with missing effects', () => {
      const result = evaluate({ invocations: [invocation(1, { exitCode: 0, effect: 'unknown' })], effects: [] });
      expect(result.status).toBe('pass');
      expect(result.message).not.toContain('reported success');
    });
  });
});

describe('no-lost-effects: the words of each verdict (issue 18, mutation testing)', () => {
  const failed = (id: number, overrides: Parameters<typeof invocation>[1] = {}) => invocation(id, { exitCode: 1, effect: 'none', ...overrides });
  /** An audit entry on an upstream the scenario gives no noun: its effects are "effects". */
  const entry = (id: number, requestId: number) =>
    effect(id, requestId, { upstream: 'ledger', route: 'POST /entries', resourceId: `ent_${id}`, body: '{"entry":1}', fingerprint: 'ledger POST /entries entry-1' });
  /** A fee charged beside the order's charge: same route, another body. */
  const fee = (id: number, requestId: number) => effect(id, requestId, { body: '{"amount":5}', fingerprint: 'payments POST /charges amount-5' });
  const racer = (id: number) => invocation(id, { role: 'concurrent', exitCode: 1, effect: 'none', startedMs: 0, durationMs: 500 });

  it('is skipped when no invocation tried the operation (a probe case)', () => {
    const result = evaluate({ invocations: [invocation(1, { role: 'dry-run', effect: 'would_create' })] });
    expect(result).toEqual({ check: 'no-lost-effects', status: 'skip', message: 'create-order: no invocation tried to do the operation (a probe case)' });
  });

  it('lists every missing route after a success, with "effects" for an upstream without a noun', () => {
    const result = evaluate({ baseline: baselineOf([effect(1, 1), email(2, 2), entry(3, 3)]), invocations: [invocation(1)] });
    expect(result.message).toBe(
      'create-order: reported success but effects are missing: 0 charges on payments POST /charges (clean run: 1); 0 emails on mailer POST /messages (clean run: 1); 0 effects on ledger POST /entries (clean run: 1)',
    );
  });

  it('fails a success that charged the order twice and the fee never: the route count matches, the bodies do not', () => {
    const result = evaluate({ baseline: baselineOf([effect(1, 1), fee(2, 2)]), invocations: [invocation(1)], requests: [request(1, 1), request(2, 1)], effects: [effect(1, 1), effect(2, 2)] });
    expect(result.status).toBe('fail');
    expect(result.message).toBe(
      "create-order: reported success but effects differ from the clean run's: 0 of 1 charge like payments POST /charges {\"amount\":5} (if a body field differs from run to run by design, list it in the upstream's ignoreFields)",
    );
    expect(result.evidence).toEqual({ invocations: [1], effects: [1, 2] });
  });

  it('names the part left by body when the route counts match after a failure', () => {
    const result = evaluate({ baseline: baselineOf([effect(1, 1), fee(2, 2)]), invocations: [failed(1), failed(2)], requests: [request(1, 1), request(2, 2)], effects: [effect(1, 1), effect(2, 2)] });
    expect(result.status).toBe('warn');
    expect(result.message).toBe(
      'create-order: ended in failure and left part of its effects (0 of 1 charge like payments POST /charges {"amount":5}), but no later invocation had the chance to finish them: invocation 2 was the last to run',
    );
  });

  it('names every wrong effect and what is missing of the clean run after a success; the evidence names their senders in order', () => {
    const other = (id: number, requestId: number) => effect(id, requestId, { body: '{"amount":1}', fingerprint: 'payments POST /charges amount-1' });
    const result = evaluate({ invocations: [invocation(1), invocation(2)], requests: [request(1, 2), request(2, 1), request(3, null)], effects: [other(1, 1), other(2, 2), other(3, 3)] });
    expect(result.message).toBe(
      `create-order: reported success but left an effect its clean run never made (the retry changed the request): effect 1 (cha_1, request 1, key ${KEY}) payments POST /charges {"amount":1}; ` +
        `effect 2 (cha_2, request 2, key ${KEY}) payments POST /charges {"amount":1}; effect 3 (cha_3, request 3, key ${KEY}) payments POST /charges {"amount":1}; ` +
        "of the clean run's: 0 of 1 charge like payments POST /charges {\"amount\":100} (if a field differs from run to run by design, list it in the upstream's ignoreFields)",
    );
    expect(result.evidence).toEqual({ invocations: [1, 2], effects: [1, 2, 3] });
    // Sent while several ran: no sender to name, so the evidence names the last attempt.
    const unattributed = evaluate({ invocations: [invocation(1), invocation(2)], requests: [request(1, null)], effects: [other(1, 1)] });
    expect(unattributed.evidence).toEqual({ invocations: [2], effects: [1] });
    // After a failure, leaving none of the clean run's effects is fine: only the wrong one is named.
    const afterFailure = evaluate({ invocations: [failed(1)], requests: [request(1, 1)], effects: [other(1, 1)] });
    expect(afterFailure.message).toBe(
      `create-order: ended in failure and left an effect its clean run never made (the retry changed the request): effect 1 (cha_1, request 1, key ${KEY}) payments POST /charges {"amount":1} (if a field differs from run to run by design, list it in the upstream's ignoreFields)`,
    );
  });

  it('warns about every route of a part left by the last invocation, which is the last one that committed', () => {
    const result = evaluate({
      baseline: baselineOf([effect(1, 1), email(2, 2), entry(3, 3)]),
      invocations: [killed(1), killed(2, { killReason: 'timeout' })],
      requests: [request(1, 1), request(2, 2)],
      effects: [effect(1, 1), email(2, 2)],
    });
    expect(result.status).toBe('warn');
    expect(result.message).toBe(
      'create-order: ended with an unknown outcome and left part of its effects (0 effects on ledger POST /entries (clean run: 1)), but no later invocation had the chance to finish them: invocation 2 was the last to run',
    );
    const two = evaluate({
      baseline: baselineOf([effect(1, 1), email(2, 2), entry(3, 3)]),
      invocations: [killed(1), killed(2, { killReason: 'timeout' })],
      requests: [request(1, 1), request(2, 2)],
      effects: [effect(1, 1), effect(2, 2)],
    });
    expect(two.message).toContain('left part of its effects (0 emails on mailer POST /messages (clean run: 1); 0 effects on ledger POST /entries (clean run: 1)), but');
  });

  it('says how the schedule stopped each later invocation: a crash, or every fault on its own requests', () => {
    const result = evaluate({
      baseline: baselineOf([effect(1, 1), email(2, 2)]),
      invocations: [killed(1), killed(2), failed(3)],
      requests: [
        request(1, 1),
        request(2, 2, { fault: 'reset-before-commit', committed: false, outcome: 'not-run' }),
        request(3, 3, { fault: '503-before-commit', committed: false, outcome: 'not-run', clientStatus: 503 }),
        request(4, 3, { fault: 'reset-after-commit', committed: false, outcome: 'not-run' }),
      ],
      effects: [effect(1, 1)],
    });
    expect(result.status).toBe('warn');
    expect(result.message).toBe(
      'create-order: ended in failure and left part of its effects (0 emails on mailer POST /messages (clean run: 1)), but no later invocation had the chance to finish them: ' +
        'invocation 2 was killed by a crash fault; invocation 3 got 503-before-commit on request 3, reset-after-commit on request 4',
    );
  });

  it('fails when later invocations had the chance, naming them; one killed by its own timeout had it', () => {
    const two = evaluate({ baseline: baselineOf([effect(1, 1), email(2, 2)]), invocations: [killed(1), failed(2), killed(3, { killReason: 'timeout' })], requests: [request(1, 1)], effects: [effect(1, 1)] });
    expect(two.status).toBe('fail');
    expect(two.message).toBe('create-order: ended with an unknown outcome and left part of its effects: 0 emails on mailer POST /messages (clean run: 1); invocations 2, 3 ran after it and did not finish them');
    const one = evaluate({ baseline: baselineOf([effect(1, 1), email(2, 2), entry(3, 3)]), invocations: [killed(1), failed(2)], requests: [request(1, 1)], effects: [effect(1, 1)] });
    expect(one.message).toBe(
      'create-order: ended in failure and left part of its effects: 0 emails on mailer POST /messages (clean run: 1); 0 effects on ledger POST /entries (clean run: 1); invocation 2 ran after it and did not finish them',
    );
  });

  it('names every body the clean run made that is missing, with "effects" for an upstream without a noun', () => {
    const entryOf = (id: number, n: number) =>
      effect(id, id, { upstream: 'ledger', route: 'POST /entries', resourceId: `ent_${id}`, body: `{"entry":${n}}`, fingerprint: `ledger POST /entries entry-${n}` });
    const ledger = evaluate({ baseline: baselineOf([entryOf(1, 1), entryOf(2, 2), entryOf(3, 3)]), invocations: [invocation(1)], requests: [request(1, 1), request(2, 1), request(3, 1)], effects: [entryOf(1, 1), entryOf(2, 1), entryOf(3, 1)] });
    expect(ledger.message).toBe(
      "create-order: reported success but effects differ from the clean run's: 0 of 1 effect like ledger POST /entries {\"entry\":2}; 0 of 1 effect like ledger POST /entries {\"entry\":3} (if a body field differs from run to run by design, list it in the upstream's ignoreFields)",
    );
  });

  it('after a success, adds what is missing of the clean run to a wrong effect only when something is', () => {
    const other = (id: number, requestId: number) => effect(id, requestId, { body: '{"amount":1}', fingerprint: 'payments POST /charges amount-1' });
    const beside = evaluate({ invocations: [invocation(1)], requests: [request(1, 1), request(2, 1)], effects: [effect(1, 1), other(2, 2)] });
    expect(beside.message).toBe(
      `create-order: reported success but left an effect its clean run never made (the retry changed the request): effect 2 (cha_2, request 2, key ${KEY}) payments POST /charges {"amount":1} (if a field differs from run to run by design, list it in the upstream's ignoreFields)`,
    );
    const instead = evaluate({ baseline: baselineOf([effect(1, 1), fee(2, 2)]), invocations: [invocation(1)], requests: [request(1, 1), request(2, 1)], effects: [other(1, 1), other(2, 2)] });
    expect(instead.message).toContain("; of the clean run's: 0 of 1 charge like payments POST /charges {\"amount\":100}; 0 of 1 charge like payments POST /charges {\"amount\":5} (if a field");
  });

  it('takes racers for running beside each other whether or not the recorder could tell which one committed (bug found by mutation testing, issue 18)', () => {
    const attributed = evaluate({ baseline: baselineOf([effect(1, 1), email(2, 2)]), invocations: [racer(1), racer(2)], requests: [request(1, 1)], effects: [effect(1, 1)] });
    const expected =
      'create-order: ended in failure and left part of its effects (0 emails on mailer POST /messages (clean run: 1)), but no later invocation had the chance to finish them: invocations 1, 2 ran at once, and none ran after them';
    expect(attributed.status).toBe('warn');
    expect(attributed.message).toBe(expected);
    // The charge was sent while both ran, so the recorder could not attribute it: still nobody ran after it.
    const unattributed = evaluate({ baseline: baselineOf([effect(1, 1), email(2, 2)]), invocations: [racer(1), racer(2)], requests: [request(1, null, { startedMs: 10 })], effects: [effect(1, 1)] });
    expect(unattributed.status).toBe('warn');
    expect(unattributed.message).toBe(expected);
    // An unattributed effect outside a race (one invocation) leaves every attempt its chance.
    const alone = evaluate({ baseline: baselineOf([effect(1, 1), email(2, 2)]), invocations: [failed(1), failed(2)], requests: [request(1, null)], effects: [effect(1, 1)] });
    expect(alone.status).toBe('fail');
    expect(alone.message).toContain('invocations 1, 2 ran after it and did not finish them');
  });
});

describe("no-lost-effects: rows of the target's own state (mutation testing)", () => {
  const failed = (id: number) => invocation(id, { exitCode: 1, effect: 'none' });
  const racer = (id: number) => invocation(id, { role: 'concurrent', exitCode: 1, effect: 'none', startedMs: 0, durationMs: 500 });
  /** An order row a state probe found in the target's database after the case: it belongs to no request (request 0). */
  const orderRow = (id: number, total = 100) =>
    effect(id, 0, { upstream: 'db', route: 'orders', key: null, resourceId: null, body: `{"id":1,"total":${total}}`, fingerprint: `db orders id-1 total-${total}` });
  const other = (id: number, requestId: number) => effect(id, requestId, { body: '{"amount":1}', fingerprint: 'payments POST /charges amount-1' });

  it("names a row unlike any of the clean run's as the target's own state, points at the state probe's ignoreFields, and, with no request behind it, gives the last attempt as evidence", () => {
    const result = evaluate({
      baseline: baselineOf([effect(1, 1), orderRow(2)]),
      invocations: [failed(1), failed(2)],
      requests: [request(1, 1, { committed: false, outcome: 'rejected', upstreamStatus: 402, clientStatus: 402 })],
      effects: [orderRow(1, 1)],
    });
    expect(result).toEqual({
      check: 'no-lost-effects',
      status: 'fail',
      message:
        "create-order: ended in failure and left an effect its clean run never made (a row or file of the target's own state unlike any of the clean run's): " +
        'effect 1 (found in db orders after the case: {"id":1,"total":1}) (if a field differs from run to run by design, list it in the state probe\'s ignoreFields)',
      evidence: { invocations: [2], effects: [1] },
    });
  });

  it('names a wrong row beside a wrong charge as a changed request, and only the charge\'s sender in the evidence', () => {
    const result = evaluate({
      baseline: baselineOf([effect(1, 1), orderRow(2)]),
      invocations: [failed(1), failed(2)],
      requests: [request(1, 2)],
      effects: [orderRow(1, 1), other(2, 1)],
    });
    expect(result.message).toBe(
      'create-order: ended in failure and left an effect its clean run never made (the retry changed the request): effect 1 (found in db orders after the case: {"id":1,"total":1}); ' +
        `effect 2 (cha_2, request 1, key ${KEY}) payments POST /charges {"amount":1} (if a field differs from run to run by design, list it in the upstream's ignoreFields)`,
    );
    expect(result.evidence).toEqual({ invocations: [2], effects: [1, 2] });
  });

  it('takes a part left beside a row of the state for the work of the invocation that sent its requests: killed by a crash, never run again, it only warns', () => {
    const result = evaluate({
      baseline: baselineOf([effect(1, 1), email(2, 2), orderRow(3)]),
      invocations: [killed(1)],
      requests: [request(1, 1), request(2, 1, { upstream: 'mailer', fault: 'crash-before-commit', committed: false, outcome: 'not-run', delivery: 'crashed', upstreamStatus: null, clientStatus: null })],
      effects: [effect(1, 1), orderRow(2)],
    });
    expect(result).toEqual({
      check: 'no-lost-effects',
      status: 'warn',
      message:
        'create-order: ended with an unknown outcome and left part of its effects (0 emails on mailer POST /messages (clean run: 1)), but no later invocation had the chance to finish them: invocation 1 was the last to run',
      evidence: { invocations: [1], effects: [1, 2] },
    });
  });

  it('takes racers for running beside each other when a charge sent while both ran lies beside a row of the state', () => {
    const result = evaluate({
      baseline: baselineOf([effect(1, 1), email(2, 2), orderRow(3)]),
      invocations: [racer(1), racer(2)],
      requests: [request(1, null, { startedMs: 10 })],
      effects: [effect(1, 1), orderRow(2)],
    });
    expect(result.status).toBe('warn');
    expect(result.message).toBe(
      'create-order: ended in failure and left part of its effects (0 emails on mailer POST /messages (clean run: 1)), but no later invocation had the chance to finish them: invocations 1, 2 ran at once, and none ran after them',
    );
  });

  // A row of the state has no request, so no known sender (found by mutation testing in the ninth session):
  // these two were failed, as if someone had run after the part left.
  it('takes racers that left only a row of the state for running beside each other', () => {
    const result = evaluate({
      baseline: baselineOf([effect(1, 1), orderRow(2)]),
      invocations: [racer(1), racer(2)],
      requests: [request(1, 1, { committed: false, outcome: 'rejected', upstreamStatus: 402, clientStatus: 402 })],
      effects: [orderRow(1)],
    });
    expect(result.status).toBe('warn');
    expect(result.message).toBe(
      'create-order: ended in failure and left part of its effects (0 charges on payments POST /charges (clean run: 1)), but no later invocation had the chance to finish them: invocations 1, 2 ran at once, and none ran after them',
    );
  });

  it('warns when the only attempt wrote its row and was killed on its charge, and fails when a retry had the chance to finish', () => {
    const crashed = request(1, 1, { fault: 'crash-before-commit', committed: false, outcome: 'not-run', delivery: 'crashed', upstreamStatus: null, clientStatus: null });
    const alone = evaluate({ baseline: baselineOf([effect(1, 1), orderRow(2)]), invocations: [killed(1)], requests: [crashed], effects: [orderRow(1)] });
    expect(alone.status).toBe('warn');
    expect(alone.message).toBe(
      'create-order: ended with an unknown outcome and left part of its effects (0 charges on payments POST /charges (clean run: 1)), but no later invocation had the chance to finish them: invocation 1 was the last to run',
    );
    // The retry ran after the first attempt and exited without charging: the row's charge is lost.
    const retried = evaluate({ baseline: baselineOf([effect(1, 1), orderRow(2)]), invocations: [killed(1), failed(2)], requests: [crashed], effects: [orderRow(1)] });
    expect(retried.status).toBe('fail');
    expect(retried.message).toBe(
      'create-order: ended in failure and left part of its effects: 0 charges on payments POST /charges (clean run: 1); invocation 2 ran after it and did not finish them',
    );
  });
});

describeEndToEnd('no-lost-effects end to end', () => {
  it('catches a tool that claims "created" and exits 0 after a 503 before commit (and fails only this check)', async () => {
    const result = await runCareful({ bug: 'success-without-commit', faults: ['503-before-commit'] });
    expect(result.failedChecks).toEqual(['no-lost-effects']);
    const [failure, ...others] = failuresOf(result, 'no-lost-effects');
    expect(others).toEqual([]);
    expect(failure!.caseId).toBe('create-order/503-before-commit@payments#1');
    expect(failure!.message).toBe('create-order: reported success but effects are missing: 0 charges on payments POST /charges (clean run: 1)');
    expect(failure!.evidence).toEqual({ invocations: [1], effects: [] });
  });

  it('passes the twin that reports an unknown outcome, exits 1 and is retried', async () => {
    const result = await runCareful({ faults: ['503-before-commit'] });
    expect(result.failedChecks).toEqual([]);
    expect(result.checks['no-lost-effects']).toEqual({ pass: 2, fail: 0, warn: 0, skip: 0 });
  });
});
