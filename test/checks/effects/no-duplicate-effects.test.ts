import { describe, expect, it } from 'vitest';
import { noDuplicateEffects } from '../../../src/checks/effects/no-duplicate-effects.js';
import { failuresOf, runCareful } from '../careful-tool.js';
import { baselineOf, caseInput, effect, email, invocation, KEY, killed, request } from '../rows.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const evaluate = (spec: Parameters<typeof caseInput>[0]) => noDuplicateEffects.evaluate(caseInput(spec));

describe('no-duplicate-effects on hand-written rows', () => {
  it('passes when the case leaves exactly the clean run\'s charge', () => {
    // 503 after commit, then a look-up that finds the charge, then a replay that does nothing.
    const result = evaluate({
      invocations: [invocation(1, { exitCode: 1, effect: 'unknown' }), invocation(2, { effect: 'noop' }), invocation(3, { role: 'replay', effect: 'noop' })],
      requests: [request(1, 1, { fault: '503-after-commit', clientStatus: 503 }), request(2, 2, { method: 'GET', path: '/charges?ref=x', committed: false, outcome: 'read' })],
      effects: [effect(1, 1)],
    });
    expect(result.status).toBe('pass');
    expect(result.check).toBe('no-duplicate-effects');
    expect(result.message).toContain('create-order');
    expect(result.evidence).toBeUndefined();
  });

  it('fails on a second charge after a timeout after commit, naming the operation, the effects and the requests', () => {
    const result = evaluate({
      invocations: [invocation(1, { exitCode: 1, effect: 'unknown' }), invocation(2), invocation(3, { role: 'replay', effect: 'noop' })],
      requests: [request(1, 1, { fault: 'timeout-after-commit', delivery: 'held', clientStatus: null }), request(2, 2)],
      effects: [effect(1, 1), effect(2, 2)],
    });
    expect(result.status).toBe('fail');
    expect(result.message).toMatch(/^create-order: duplicate effects: /);
    expect(result.message).toContain('2 charges on payments POST /charges (clean run: 1)');
    expect(result.message).toContain(`effect 1 (cha_1, request 1, key ${KEY})`);
    expect(result.message).toContain(`effect 2 (cha_2, request 2, key ${KEY})`);
    expect(result.evidence?.effects).toEqual([1, 2]);
    expect(result.evidence?.requests).toEqual([1, 2]);
  });

  it('counts a charge made by the replay', () => {
    const result = evaluate({
      invocations: [invocation(1), invocation(2, { role: 'replay', effect: 'created' })],
      requests: [request(1, 1), request(2, 2)],
      effects: [effect(1, 1), effect(2, 2)],
    });
    expect(result.status).toBe('fail');
    expect(result.evidence?.requests).toEqual([1, 2]);
  });

  it('counts the commit of a killed invocation (an unknown outcome is not "nothing happened")', () => {
    const result = evaluate({
      invocations: [killed(1), invocation(2), invocation(3, { role: 'replay', effect: 'noop' })],
      requests: [request(1, 1, { fault: 'crash-after-commit', delivery: 'crashed', clientStatus: null }), request(2, 2)],
      effects: [effect(1, 1), effect(2, 2)],
    });
    expect(result.status).toBe('fail');
    expect(result.message).toContain('2 charges on payments POST /charges (clean run: 1)');
  });

  it('does not count a request the upstream answered from its key store', () => {
    const result = evaluate({
      invocations: [invocation(1, { exitCode: 1, effect: 'unknown' }), invocation(2)],
      requests: [request(1, 1, { fault: '503-after-commit', clientStatus: 503 }), request(2, 2, { committed: false, outcome: 'replayed' })],
      effects: [effect(1, 1)],
    });
    expect(result.status).toBe('pass');
  });

  it('leaves missing effects to no-lost-effects', () => {
    const result = evaluate({ invocations: [invocation(1)], requests: [request(1, 1, { committed: false, outcome: 'not-run' })], effects: [] });
    expect(result.status).toBe('pass');
  });

  it('takes the clean run as the reference: two charges are right for a tool whose clean run makes two, three are not', () => {
    const baseline = baselineOf([effect(1, 1), effect(2, 2)]);
    const two = evaluate({ baseline, invocations: [invocation(1)], requests: [request(1, 1), request(2, 1)], effects: [effect(1, 1), effect(2, 2)] });
    expect(two.status).toBe('pass');
    const three = evaluate({
      baseline,
      invocations: [invocation(1, { exitCode: 1, effect: 'unknown' }), invocation(2)],
      requests: [request(1, 1), request(2, 1, { fault: '503-after-commit' }), request(3, 2)],
      effects: [effect(1, 1), effect(2, 2), effect(3, 3)],
    });
    expect(three.status).toBe('fail');
    expect(three.message).toContain('3 charges on payments POST /charges (clean run: 2)');
    expect(three.evidence?.effects).toEqual([1, 2, 3]);
  });

  it('flags an effect on a route the clean run never touched, naming only that route\'s effects', () => {
    const result = evaluate({
      invocations: [invocation(1)],
      requests: [request(1, 1), request(2, 1, { upstream: 'mailer', path: '/messages', route: 'POST /messages' })],
      effects: [effect(1, 1), email(2, 2)],
    });
    expect(result.status).toBe('fail');
    expect(result.message).toContain('1 email on mailer POST /messages (clean run: 0)');
    expect(result.message).not.toContain('charge');
    expect(result.evidence?.effects).toEqual([2]);
    expect(result.evidence?.requests).toEqual([2]);
  });

  it('does not count a compensation: an effect on a new route that names an effect of the case, which it undoes (issue 18, hole 11)', () => {
    // A saga: the charge committed, a later step failed, the tool refunded the charge.
    const refund = (id: number, requestId: number, body: string) =>
      effect(id, requestId, { route: 'POST /refunds', resourceId: `re_${id}`, body, fingerprint: `payments POST /refunds ${body}` });
    const refundRequest = (id: number, body: string) => request(id, 1, { path: '/refunds', route: 'POST /refunds', body });
    const compensated = evaluate({
      invocations: [invocation(1, { exitCode: 1, effect: 'none' })],
      requests: [request(1, 1), refundRequest(2, '{"charge":"cha_1"}')],
      effects: [effect(1, 1), refund(2, 2, '{"charge":"cha_1"}')],
    });
    expect(compensated.status).toBe('pass');
    // Undoing by path: DELETE /charges/cha_1.
    const deleted = evaluate({
      invocations: [invocation(1)],
      requests: [request(1, 1), request(2, 1, { method: 'DELETE', path: '/charges/cha_1', route: 'DELETE /charges/cha_1', body: '' })],
      effects: [effect(1, 1), effect(2, 2, { route: 'DELETE /charges/cha_1', resourceId: null, body: '', fingerprint: 'payments DELETE /charges/cha_1' })],
    });
    expect(deleted.status).toBe('pass');
    // A new-route effect that names nothing the case committed (or only a prefix of an id) still counts.
    for (const body of ['{"amount":100}', '{"charge":"cha_10"}']) {
      const extra = evaluate({ invocations: [invocation(1)], requests: [request(1, 1), refundRequest(2, body)], effects: [effect(1, 1), refund(2, 2, body)] });
      expect(extra.status, body).toBe('fail');
      expect(extra.message).toContain('1 charge on payments POST /refunds (clean run: 0)');
    }
    // A compensation does not excuse a second charge: the charges are still counted against the clean run.
    const twice = evaluate({
      invocations: [invocation(1)],
      requests: [request(1, 1), request(2, 1), refundRequest(3, '{"charge":"cha_1"}')],
      effects: [effect(1, 1), effect(2, 2), refund(3, 3, '{"charge":"cha_1"}')],
    });
    expect(twice.status).toBe('fail');
    expect(twice.message).toContain('2 charges on payments POST /charges (clean run: 1)');
    expect(twice.message).not.toContain('/refunds');
  });

  it('judges each route against its own count and names every route that has too many', () => {
    const baseline = baselineOf([effect(1, 1), email(2, 2)]);
    const mailerTwice = evaluate({
      baseline,
      invocations: [invocation(1, { exitCode: 1, effect: 'unknown' }), invocation(2)],
      requests: [request(1, 1), request(2, 1, { upstream: 'mailer' }), request(3, 2, { upstream: 'mailer' })],
      effects: [effect(1, 1), email(2, 2), email(3, 3)],
    });
    expect(mailerTwice.status).toBe('fail');
    expect(mailerTwice.message).toContain('2 emails on mailer POST /messages (clean run: 1)');
    expect(mailerTwice.message).not.toContain('POST /charges');
    expect(mailerTwice.evidence).toEqual({ effects: [2, 3], requests: [2, 3] });

    const both = evaluate({
      baseline,
      invocations: [invocation(1, { exitCode: 1, effect: 'unknown' }), invocation(2)],
      requests: [request(1, 1), request(2, 1, { upstream: 'mailer' }), request(3, 2), request(4, 2, { upstream: 'mailer' })],
      effects: [effect(1, 1), email(2, 2), effect(3, 3), email(4, 4)],
    });
    expect(both.status).toBe('fail');
    expect(both.message).toContain('2 charges on payments POST /charges (clean run: 1)');
    expect(both.message).toContain('2 emails on mailer POST /messages (clean run: 1)');
    expect([...(both.evidence?.effects ?? [])].sort()).toEqual([1, 2, 3, 4]);
    expect([...(both.evidence?.requests ?? [])].sort()).toEqual([1, 2, 3, 4]);
  });

  it('describes effects without a resource id or key, and calls them "effects" for an upstream without a noun', () => {
    const result = evaluate({
      traits: new Map(),
      invocations: [invocation(1)],
      requests: [request(1, 1, { idempotencyKey: null }), request(2, 1, { idempotencyKey: null })],
      effects: [effect(1, 1, { resourceId: null, key: null }), effect(2, 2, { resourceId: null, key: null })],
    });
    expect(result.status).toBe('fail');
    expect(result.message).toContain('2 effects on payments POST /charges (clean run: 1)');
    expect(result.message).toContain('effect 2 (request 2, no key)');
  });

  // DESIGN.md, "The oracle": the clean run's effects are a multiset of
  // (upstream, route, body fingerprint); "an extra one is a duplicate".
  it('compares effects by fingerprint, not only by route: the order charged twice in place of order + fee is a duplicate', () => {
    const fee = { body: '{"amount":5}', fingerprint: 'payments POST /charges amount-5' };
    const baseline = baselineOf([effect(1, 1), effect(2, 2, fee)]);
    const result = evaluate({
      baseline,
      invocations: [invocation(1, { exitCode: 1, effect: 'unknown' }), invocation(2)],
      requests: [request(1, 1, { fault: '503-after-commit' }), request(2, 2)],
      // The retry charged the order again and never charged the fee: still two charges on the route.
      effects: [effect(1, 1), effect(2, 2)],
    });
    expect(result.status).toBe('fail');
    expect(result.evidence?.effects).toEqual(expect.arrayContaining([1, 2]));
  });
});

describe('no-duplicate-effects: the words of each verdict (issue 18, mutation testing)', () => {
  const entry = (id: number, requestId: number, overrides: Parameters<typeof effect>[2] = {}) =>
    effect(id, requestId, { upstream: 'ledger', route: 'POST /entries', resourceId: `ent_${id}`, body: '{"entry":1}', fingerprint: 'ledger POST /entries entry-1', ...overrides });
  const fee = (id: number, requestId: number) => effect(id, requestId, { body: '{"amount":5}', fingerprint: 'payments POST /charges amount-5' });
  const refund = (id: number, requestId: number, body: string) => effect(id, requestId, { route: 'POST /refunds', resourceId: `re_${id}`, body, fingerprint: `payments POST /refunds ${body}` });
  const refundRequest = (id: number) => request(id, 1, { path: '/refunds', route: 'POST /refunds' });

  it('names every route with too many, each effect, and "effects" for an upstream without a noun', () => {
    const result = evaluate({
      baseline: baselineOf([effect(1, 1), entry(2, 2)]),
      invocations: [invocation(1)],
      requests: [request(1, 1), request(2, 1), request(3, 1), request(4, 1)],
      effects: [effect(1, 1), effect(2, 2), entry(3, 3), entry(4, 4)],
    });
    expect(result.message).toBe(
      `create-order: duplicate effects: 2 charges on payments POST /charges (clean run: 1): effect 1 (cha_1, request 1, key ${KEY}); effect 2 (cha_2, request 2, key ${KEY}) | ` +
        `2 effects on ledger POST /entries (clean run: 1): effect 3 (ent_3, request 3, key ${KEY}); effect 4 (ent_4, request 4, key ${KEY})`,
    );
    expect(result.evidence).toEqual({ effects: [1, 2, 3, 4], requests: [1, 2, 3, 4] });
  });

  it('names a doubled body by the clean run\'s effect that has it, not by the first one of the clean run', () => {
    const result = evaluate({ baseline: baselineOf([fee(9, 9), effect(1, 1)]), invocations: [invocation(1)], requests: [request(1, 1), request(2, 1)], effects: [effect(1, 1), effect(2, 2)] });
    expect(result.message).toBe(
      `create-order: duplicate effects: 2 charges like payments POST /charges {"amount":100} (clean run: 1): effect 1 (cha_1, request 1, key ${KEY}); effect 2 (cha_2, request 2, key ${KEY})`,
    );
    const nounless = evaluate({
      baseline: baselineOf([entry(1, 1), entry(2, 2, { body: '{"entry":2}', fingerprint: 'ledger POST /entries entry-2' })]),
      invocations: [invocation(1)],
      requests: [request(1, 1), request(2, 1)],
      effects: [entry(1, 1), entry(2, 2)],
    });
    expect(nounless.message).toBe(`create-order: duplicate effects: 2 effects like ledger POST /entries {"entry":1} (clean run: 1): effect 1 (ent_1, request 1, key ${KEY}); effect 2 (ent_2, request 2, key ${KEY})`);
  });

  it('says which compensations it did not count, on a pass and on a failure', () => {
    const passed = evaluate({
      invocations: [invocation(1, { exitCode: 1, effect: 'none' })],
      requests: [request(1, 1), refundRequest(2), refundRequest(3)],
      effects: [effect(1, 1), refund(2, 2, '{"charge":"cha_1"}'), refund(3, 3, 'charge=cha_1')],
    });
    expect(passed).toEqual({
      check: 'no-duplicate-effects',
      status: 'pass',
      message: `create-order: no more effects than the clean run (not counted: 2 compensations naming an effect of the case, effect 2 (re_2, request 2, key ${KEY}); effect 3 (re_3, request 3, key ${KEY}))`,
    });
    const failed = evaluate({ invocations: [invocation(1)], requests: [request(1, 1), request(2, 1), refundRequest(3)], effects: [effect(1, 1), effect(2, 2), refund(3, 3, '{"charge":"cha_1"}')] });
    expect(failed.message).toBe(
      `create-order: duplicate effects: 2 charges on payments POST /charges (clean run: 1): effect 1 (cha_1, request 1, key ${KEY}); effect 2 (cha_2, request 2, key ${KEY}) (not counted: 1 compensation naming an effect of the case, effect 3 (re_3, request 3, key ${KEY}))`,
    );
    expect(evaluate({ invocations: [invocation(1)], requests: [request(1, 1)], effects: [effect(1, 1)] }).message).toBe('create-order: no more effects than the clean run');
  });

  it('takes for a compensation only an effect on a route the clean run never used that names an effect on a route it did', () => {
    // A second charge that mentions the first is still a second charge.
    const mentions = evaluate({ invocations: [invocation(1)], requests: [request(1, 1), request(2, 1)], effects: [effect(1, 1), effect(2, 2, { body: '{"amount":100,"previous":"cha_1"}' })] });
    expect(mentions.status).toBe('fail');
    expect(mentions.message).toContain('2 charges on payments POST /charges (clean run: 1)');
    // A note about the refund names the refund, not an effect the clean run's routes hold: it is an extra effect.
    const note = effect(3, 3, { route: 'POST /notes', resourceId: 'note_3', body: '{"about":"re_2"}', fingerprint: 'payments POST /notes about-refund' });
    const noted = evaluate({
      invocations: [invocation(1, { exitCode: 1, effect: 'none' })],
      requests: [request(1, 1), refundRequest(2), request(3, 1, { path: '/notes', route: 'POST /notes' })],
      effects: [effect(1, 1), refund(2, 2, '{"charge":"cha_1"}'), note],
    });
    expect(noted.status).toBe('fail');
    expect(noted.message).toBe(
      `create-order: duplicate effects: 1 charge on payments POST /notes (clean run: 0): effect 3 (note_3, request 3, key ${KEY}) (not counted: 1 compensation naming an effect of the case, effect 2 (re_2, request 2, key ${KEY}))`,
    );
  });

  it('does not take an effect for a compensation because it names its own resource: a capture of the charge is no refund', () => {
    const capture = effect(2, 2, { route: 'POST /charges/cha_1/capture', resourceId: 'cha_1', body: '', fingerprint: 'payments POST /charges/cha_1/capture' });
    const result = evaluate({
      invocations: [invocation(1)],
      requests: [request(1, 1), request(2, 1, { path: '/charges/cha_1/capture', route: 'POST /charges/cha_1/capture', body: '' })],
      effects: [effect(1, 1), capture],
    });
    expect(result.status).toBe('fail');
    expect(result.message).toBe(`create-order: duplicate effects: 1 charge on payments POST /charges/cha_1/capture (clean run: 0): effect 2 (cha_1, request 2, key ${KEY})`);
  });

  it('takes no effect for a compensation when the case committed nothing with a resource id, or only matched an id as a pattern', () => {
    const noIds = evaluate({ invocations: [invocation(1)], requests: [request(1, 1), refundRequest(2)], effects: [effect(1, 1, { resourceId: null }), refund(2, 2, '{"charge":"null"}')] });
    expect(noIds.status).toBe('fail');
    expect(noIds.message).toBe(`create-order: duplicate effects: 1 charge on payments POST /refunds (clean run: 0): effect 2 (re_2, request 2, key ${KEY})`);
    // "ch.1" names ch.1 only: the dot is no wildcard.
    const dotted = evaluate({ invocations: [invocation(1)], requests: [request(1, 1), refundRequest(2)], effects: [effect(1, 1, { resourceId: 'ch.1' }), refund(2, 2, '{"charge":"chx1"}')] });
    expect(dotted.status).toBe('fail');
    const named = evaluate({ invocations: [invocation(1)], requests: [request(1, 1), refundRequest(2)], effects: [effect(1, 1, { resourceId: 'ch.1' }), refund(2, 2, '{"charge":"ch.1"}')] });
    expect(named.status).toBe('pass');
  });
});

describeEndToEnd('no-duplicate-effects end to end', () => {
  it('catches a tool that marks nothing before sending, so its retry charges again after a 503 after commit (and fails only this check)', async () => {
    const result = await runCareful({ bug: 'no-pending-mark', faults: ['503-after-commit'] });
    expect(result.failedChecks).toEqual(['no-duplicate-effects']);
    const [failure, ...others] = failuresOf(result, 'no-duplicate-effects');
    expect(others).toEqual([]);
    expect(failure!.caseId).toBe('create-order/503-after-commit@payments#1');
    expect(failure!.message).toMatch(/^create-order: duplicate effects: 2 charges on payments POST \/charges \(clean run: 1\): effect 1 \(cha_1, request 1, key rp-[0-9a-f]{12}-1\); effect 2 \(cha_2, request 2, key rp-[0-9a-f]{12}-1\)$/);
    expect(failure!.evidence).toEqual({ effects: [1, 2], requests: [1, 2] });
  });

  it('catches a tool that ignores its key: the replay charges again', async () => {
    const result = await runCareful({ bug: 'ignore-key', faults: ['none'] });
    expect(result.failedChecks).toContain('no-duplicate-effects');
    // The replay committed (replay-commits-nothing) and reported "created" (replay-is-noop), and nothing else failed.
    expect(result.failedChecks).toEqual(['no-duplicate-effects', 'replay-commits-nothing', 'replay-is-noop']);
    const [failure] = failuresOf(result, 'no-duplicate-effects');
    expect(failure!.caseId).toBe('create-order/none');
    expect(failure!.message).toContain('2 charges on payments POST /charges (clean run: 1)');
  });

  it('passes the twin that marks the key pending first and looks the charge up before charging again', async () => {
    const result = await runCareful({ faults: ['503-after-commit'] });
    expect(result.failedChecks).toEqual([]);
    // The fault-free case always runs, so two cases pass.
    expect(result.checks['no-duplicate-effects']).toEqual({ pass: 2, fail: 0, warn: 0, skip: 0 });
  });
});
