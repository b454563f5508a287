import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { concurrentCommitsOnce } from '../../../src/checks/effects/concurrent-commits-once.js';
import type { Schedule } from '../../../src/core/schedule.js';
import { raceWindow } from '../../../src/explore/race-window.js';
import { openRunSession } from '../../../src/runner/run-session.js';
import { loadScenario } from '../../../src/scenario/load.js';
import { eff, input, inv, KEY, req, type Spec } from '../../fixtures/check-targets-2/rows.js';
import { expectStatus, runProbeTool } from '../../fixtures/check-targets-2/run-probe-tool.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const ZOO_DIR = path.join(import.meta.dirname, '..', '..', '..', 'scenarios', 'zoo');

const evaluate = (spec: Spec) => concurrentCommitsOnce.evaluate(input(spec));
const window = [{ upstream: 'payments', ordinal: 1, fault: 'slow', params: { delayBeforeCommitMs: 150, delayMs: 0 } }];
const racer = (id: number, overrides: Parameters<typeof inv>[1] = {}) => inv(id, { role: 'concurrent', startedMs: 0, durationMs: 500, ...overrides });

describe('concurrent-commits-once', () => {
  it('is skipped outside a concurrency probe', () => {
    expectStatus(evaluate({ invocations: [inv(1)], requests: [req(1, 1)], effects: [eff(1, 1)] }), 'skip');
  });

  it('passes one commit, whatever the racers said', () => {
    const result = evaluate({ faults: window, invocations: [racer(1), racer(2, { exitCode: 9, effect: null })], requests: [req(1, null)], effects: [eff(1, 1)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe(`create-order: concurrent invocations 1, 2 with key ${KEY} committed at most once (1 effect)`);
  });

  it('allows as many effects as the clean run had', () => {
    const two = [eff(1, 1), eff(2, 1, { resourceId: 'cha_2' })];
    expectStatus(evaluate({ faults: window, baseline: two, invocations: [racer(1), racer(2)], requests: [req(1, null)], effects: two }), 'pass');
  });

  it('fails two commits, naming both effects and which invocation sent each', () => {
    const result = evaluate({ faults: window, invocations: [racer(1), racer(2)], requests: [req(1, null), req(2, 2)], effects: [eff(1, 2), eff(2, 1)] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('together they committed 2 charges on payments POST /charges (clean run: 1)');
    expect(result.message).toContain(`invocation 2: 1 charge (effect 1 (cha_1, request 2, key ${KEY}))`);
    expect(result.message).toContain('sent while both ran (sender unknown): 1 charge');
    expect(result.evidence).toEqual({ invocations: [1, 2], requests: [2, 1], effects: [1, 2] });
  });

  it('blames the racer whose own retry charged twice, not the one that sent nothing (issue 13, class 9)', () => {
    const result = evaluate({ faults: window, invocations: [racer(1), racer(2, { effect: 'noop' })], requests: [req(1, 1), req(2, 1)], effects: [eff(1, 1), eff(2, 2)] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('invocation 1: 2 charges');
    expect(result.message).toContain('invocation 2: no charge');
  });

  it("ignores other roles' effects", () => {
    const result = evaluate({
      faults: window,
      invocations: [racer(1), racer(2, { exitCode: 4, effect: 'none' }), inv(3, { role: 'replay', effect: 'noop', startedMs: 3000 })],
      requests: [req(1, 1), req(2, 3, { startedMs: 3010 })],
      effects: [eff(1, 1), eff(2, 2)],
    });
    expectStatus(result, 'pass');
  });
});

describe('concurrent-commits-once: the words of each verdict (issue 18, mutation testing)', () => {
  const racer = (id: number) => inv(id, { role: 'concurrent', startedMs: 0, durationMs: 500 });
  const entry = (id: number, requestId: number, overrides: Parameters<typeof eff>[2] = {}) => eff(id, requestId, { upstream: 'ledger', route: 'POST /entries', fingerprint: 'ledger POST /entries', ...overrides });

  it('says how many racers a case had when it is no concurrency probe', () => {
    expect(evaluate({ invocations: [racer(1)] }).message).toBe('create-order: not a concurrency probe (1 concurrent invocation)');
  });

  it('names each route with too many effects and, per route, what each racer and nobody-knows-who sent; not the replay\'s', () => {
    const result = evaluate({
      baseline: [eff(1, 1), entry(2, 2)],
      invocations: [racer(1), racer(2), inv(3, { role: 'replay' })],
      requests: [req(1, 1), req(2, 2), req(3, null), req(4, null, { upstream: 'ledger', route: 'POST /entries' }), req(5, 2, { upstream: 'ledger', route: 'POST /entries' }), req(6, 3)],
      effects: [eff(1, 1), eff(2, 2), eff(3, 3), entry(4, 4, { resourceId: null }), entry(5, 5), eff(6, 6)],
    });
    expectStatus(result, 'fail');
    expect(result.message).toBe(
      `create-order: concurrent invocations 1, 2 with key ${KEY}: together they committed 3 charges on payments POST /charges (clean run: 1): ` +
        `invocation 1: 1 charge (effect 1 (cha_1, request 1, key ${KEY})); invocation 2: 1 charge (effect 2 (cha_2, request 2, key ${KEY})); sent while both ran (sender unknown): 1 charge (effect 3 (cha_3, request 3, key ${KEY})); ` +
        `together they committed 2 effects on ledger POST /entries (clean run: 1): sent while both ran (sender unknown): 1 effect (effect 4 (request 4, key ${KEY})); invocation 2: 1 effect (effect 5 (cha_5, request 5, key ${KEY})); invocation 1: no effect`,
    );
    expect(result.evidence).toEqual({ invocations: [1, 2], requests: [1, 2, 3, 4, 5], effects: [1, 2, 3, 4, 5] });
  });

  it('lists every effect of a racer that committed more than one', () => {
    const result = evaluate({ invocations: [racer(1), racer(2)], requests: [req(1, 1), req(2, 1)], effects: [eff(1, 1), eff(2, 2)] });
    expect(result.message).toBe(
      `create-order: concurrent invocations 1, 2 with key ${KEY}: together they committed 2 charges on payments POST /charges (clean run: 1): ` +
        `invocation 1: 2 charges (effect 1 (cha_1, request 1, key ${KEY}); effect 2 (cha_2, request 2, key ${KEY})); invocation 2: no charge`,
    );
  });

  it("names rows of the target's own state as found after the racers ran, and blames no racer for them", () => {
    const orderRow = (id: number, n: number) => eff(id, 0, { upstream: 'db', route: 'orders', key: null, resourceId: null, body: `{"order":${n}}`, fingerprint: `db orders order-${n}` });
    const result = evaluate({
      baseline: [eff(1, 1), orderRow(2, 1)],
      invocations: [racer(1), racer(2)],
      requests: [req(1, 1)],
      effects: [eff(1, 1), orderRow(2, 1), orderRow(3, 2)],
    });
    expectStatus(result, 'fail');
    expect(result.message).toBe(
      `create-order: concurrent invocations 1, 2 with key ${KEY}: together they committed 2 effects on db orders (clean run: 1): ` +
        "in the target's own state after they ran: 2 effects (effect 2 (found in db orders after the case: {\"order\":1}); effect 3 (found in db orders after the case: {\"order\":2}))",
    );
    expect(result.evidence?.effects).toEqual([2, 3]);
  });

  it('names only the effects of the route with too many in the evidence', () => {
    const result = evaluate({
      baseline: [eff(1, 1), entry(2, 2)],
      invocations: [racer(1), racer(2)],
      requests: [req(1, 1), req(2, 2), req(3, 1, { upstream: 'ledger', route: 'POST /entries' })],
      effects: [eff(1, 1), eff(2, 2), entry(3, 3)],
    });
    expect(result.evidence).toEqual({ invocations: [1, 2], requests: [1, 2], effects: [1, 2] });
    expect(result.message).not.toContain('ledger');
  });
});

describeEndToEnd('concurrent-commits-once end to end', () => {
  it('fails a tool without a per-key lock (both racers charge) and passes its twin', async () => {
    const buggy = await runProbeTool({ bug: 'no-lock', faults: ['none'], probes: { concurrent: true }, honoursKey: false });
    const result = buggy.check('create-order/probe:concurrent', 'concurrent-commits-once');
    expectStatus(result, 'fail');
    expect(result.message).toMatch(/together they committed 2 charges on payments POST \/charges \(clean run: 1\)/);
    const twin = await runProbeTool({ faults: ['none'], probes: { concurrent: true }, honoursKey: false });
    expectStatus(twin.check('create-order/probe:concurrent', 'concurrent-commits-once'), 'pass');
  });
});

// Bug zoo 28 (issue 13, class 9): its buggy tool sends its own retry under "K-2". Two calls at once with one key
// show both messages the trial found misleading: whose charges they were, and where two long results differ.
describeEndToEnd('concurrent-commits-once and concurrent-same-key messages on zoo 28 (issue 13, class 9)', () => {
  const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-zoo28-'));
  afterAll(() => rmSync(reportsDir, { recursive: true, force: true }));
  const scenario = loadScenario(path.join(ZOO_DIR, '28-key-per-attempt', 'buggy.yaml'));
  const racers = (faults: Schedule['faults']): Schedule => ({
    operation: 'create-order',
    faults,
    caller: { retries: 0, key: 'same', replay: false, delayMs: 0, concurrent: 2 },
  });
  const run = async (id: string, schedule: Schedule) => {
    const session = await openRunSession(scenario, { reportsDir });
    try {
      const result = await session.runOne({ id, schedule }, 'explore');
      return (check: string) => result.checks.find((item) => item.check === check)!;
    } finally {
      await session.finish();
    }
  };

  it('names the call whose own retry committed both charges, and the other call for none', async () => {
    // The first request commits, then gets a 503: its call retries under "K-2" and charges again; the other
    // call's request (the same key) is answered from payments' key store and commits nothing.
    const check = await run('both-by-one', racers([{ upstream: 'payments', ordinal: 1, fault: '503-after-commit' }]));
    const result = check('concurrent-commits-once');
    expectStatus(result, 'fail');
    expect(result.message).toContain('together they committed 2 charges on payments POST /charges (clean run: 1)');
    const found = /invocation (\d): 2 charges \(effect 1 \(cha_1, request \d, key (rp-[\w-]+)\); effect 2 \(cha_2, request \d, key (rp-[\w-]+)\)\); invocation (\d): no charge/.exec(result.message);
    expect(found, result.message).not.toBeNull();
    const [, retrier, firstKey, secondKey, other] = found!;
    expect(secondKey).toBe(`${firstKey}-2`);
    expect(other).not.toBe(retrier);
  }, 60_000);

  it('says where two long results differ, not two prefixes that read the same', async () => {
    // The race window holds the first request; the second gets a 503 before commit, and that call retries under "K-2":
    // each call charges once, and both print an order that differs only in its last field.
    const check = await run('two-orders', racers([raceWindow('payments'), { upstream: 'payments', ordinal: 2, fault: '503-before-commit' }]));
    const result = check('concurrent-same-key');
    expectStatus(result, 'fail');
    expect(result.message).toMatch(/: they differ at \.order\.charge: "cha_\d" vs "cha_\d" \(the winner's\)$/);
    const charges = check('concurrent-commits-once');
    expectStatus(charges, 'fail');
    expect(charges.message).toMatch(/invocation \d: 1 charge \(effect \d \(cha_\d, request \d, key rp-[\w-]+\)\); invocation \d: 1 charge/);
  }, 60_000);
});
