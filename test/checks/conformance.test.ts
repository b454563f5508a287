import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/checks/check.js';
import { conformanceLevel, type ConformanceCase, type ConformanceScenario } from '../../src/checks/conformance.js';
import { CHECK_NAMES, type CheckName } from '../../src/core/check-names.js';
import { runProbeTool } from '../fixtures/check-targets-2/run-probe-tool.js';
import { describeEndToEnd } from '../helpers/end-to-end.js';

type Op = ConformanceScenario['operations'][number];
const op = (name: string, overrides: Partial<Op> = {}): Op => ({ name, mutating: true, args: [name, '--key', '{{key}}'], ...overrides });
const noKey = (name: string, overrides: Partial<Op> = {}): Op => op(name, { args: [name], ...overrides });
const dry = { args: ['--dry-run'], headers: {}, query: {} };

function scenario(operations: Op[], overrides: Partial<ConformanceScenario> = {}): ConformanceScenario {
  return {
    target: { kind: 'command', argv: ['tool'], env: {}, timeoutMs: 1000, killGraceMs: 100, maxOutputBytes: 1000 },
    operations,
    checks: [...CHECK_NAMES],
    ...overrides,
  };
}

const result = (check: CheckName, status: CheckResult['status'], message = `${check} ${status}`): CheckResult => ({ check, status, message });
/** One case of `operation` with effect-field and dry-run-no-effects passing, unless overridden. */
const okCase = (operation: string, ...checks: CheckResult[]): ConformanceCase => ({
  id: `${operation}/none`,
  operation,
  checks: [result('effect-field', 'pass'), result('dry-run-no-effects', 'pass'), ...checks],
});

describe('conformanceLevel', () => {
  it('is 0 when no mutating operation takes a key', () => {
    const level = conformanceLevel({ scenario: scenario([noKey('create-order'), noKey('send-email'), noKey('list', { mutating: false })]), cases: [okCase('create-order'), okCase('send-email')] });
    expect(level).toEqual({ level: 0, reasons: ['no mutating operation accepts an idempotency key (no {{key}} in the args or env of create-order, send-email)'] });
  });

  it('is 1 when only some mutating operations take a key', () => {
    const level = conformanceLevel({ scenario: scenario([op('create-order'), noKey('send-email')]), cases: [okCase('create-order'), okCase('send-email')] });
    expect(level.level).toBe(1);
    expect(level.reasons[0]).toBe('create-order accepts an idempotency key; send-email does not');
  });

  it('is 1 when every operation takes a key but not every response has effect', () => {
    const cases = [okCase('create-order'), { id: 'send-email/none', operation: 'send-email', checks: [result('effect-field', 'fail')] }, { id: 'send-email/probe:key-mismatch', operation: 'send-email', checks: [result('effect-field', 'pass')] }];
    const level = conformanceLevel({ scenario: scenario([op('create-order'), op('send-email')]), cases });
    expect(level.level).toBe(1);
    expect(level.reasons).toContain('not every response reports "effect": send-email (effect-field failed in 1 of 2 cases)');
  });

  it('does not take an unrun effect-field as shown', () => {
    const unrun = conformanceLevel({ scenario: scenario([op('create-order')], { checks: ['no-duplicate-effects'] }), cases: [okCase('create-order')] });
    expect(unrun.level).toBe(1);
    expect(unrun.reasons).toContain('not every response reports "effect": create-order (effect-field did not run)');
    const noCase = conformanceLevel({ scenario: scenario([op('create-order')]), cases: [] });
    expect(noCase.reasons).toContain('not every response reports "effect": create-order (no case showed its effect field)');
  });

  it('is 2 with keys and effect everywhere but a mutating operation without dry run', () => {
    const level = conformanceLevel({ scenario: scenario([op('create-order', { dryRun: dry }), op('send-email'), noKey('list', { mutating: false })]), cases: [okCase('create-order'), okCase('send-email')] });
    expect(level).toEqual({
      level: 2,
      reasons: [
        'every mutating operation accepts an idempotency key (create-order, send-email)',
        'every response of create-order, send-email reports "effect"',
        'not every mutating operation has a working dry run: send-email (declares no dryRun)',
      ],
    });
  });

  it('is 2 when a declared dry run failed its check', () => {
    const cases = [okCase('create-order'), { id: 'create-order/probe:dry-run', operation: 'create-order', checks: [result('dry-run-no-effects', 'fail', 'create-order: dry run sent a POST')] }];
    const level = conformanceLevel({ scenario: scenario([op('create-order', { dryRun: dry })]), cases });
    expect(level.level).toBe(2);
    expect(level.reasons.at(-1)).toBe('not every mutating operation has a working dry run: create-order (its dry run failed dry-run-no-effects: create-order: dry run sent a POST)');
  });

  it('is 3 with a dry run on every mutating operation, and says when one was not exercised', () => {
    const cases = [okCase('create-order'), { id: 'send-email/none', operation: 'send-email', checks: [result('effect-field', 'pass'), result('dry-run-no-effects', 'skip')] }];
    const level = conformanceLevel({ scenario: scenario([op('create-order', { dryRun: dry }), op('send-email', { dryRun: dry })]), cases });
    expect(level.level).toBe(3);
    expect(level.reasons).toEqual([
      'every mutating operation accepts an idempotency key (create-order, send-email)',
      'every response of create-order, send-email reports "effect"',
      'every mutating operation has a dry run (create-order, send-email)',
      'the dry run of send-email is declared but was not exercised (probes.dryRun off, or dry-run-no-effects not run)',
    ]);
  });

  it('finds the key in operation env and in the target\'s argv or env', () => {
    const inEnv = conformanceLevel({ scenario: scenario([noKey('create-order', { env: { TOOL_KEY: '{{ key }}' } })]), cases: [okCase('create-order')] });
    expect(inEnv.level).toBe(2);
    const inTarget = scenario([noKey('create-order')]);
    const target = { ...inTarget, target: { ...inTarget.target, env: { IDEMPOTENCY_KEY: '{{key}}' } } as ConformanceScenario['target'] };
    expect(conformanceLevel({ scenario: target, cases: [okCase('create-order')] }).level).toBe(2);
  });

  it('notes key checks that failed for a key-taking operation without changing the level', () => {
    const level = conformanceLevel({ scenario: scenario([op('create-order')]), cases: [okCase('create-order', result('replay-is-noop', 'pass'), result('key-mismatch-rejected', 'fail'))] });
    expect(level.level).toBe(2);
    expect(level.reasons).toContain('create-order accepts a key, but key-mismatch-rejected failed for it: the key does not yet make it retry-safe');
  });

  it('grades 0 a tool whose replay with the same key committed again, whatever it prints', () => {
    const level = conformanceLevel({ scenario: scenario([op('create-order', { dryRun: dry })]), cases: [okCase('create-order', result('replay-commits-nothing', 'fail', 'the replay committed effect 2'), result('replay-is-noop', 'pass'))] });
    expect(level.level).toBe(0);
    expect(level.reasons[0]).toBe('create-order: a replay with the same key committed again, so the key is no idempotency mechanism (the replay committed effect 2)');
  });

  it('names every operation that takes a key and every one that does not', () => {
    const level = conformanceLevel({ scenario: scenario([op('create-order'), op('refund'), noKey('send-email'), noKey('notify')]), cases: ['create-order', 'refund', 'send-email', 'notify'].map((name) => okCase(name)) });
    expect(level.level).toBe(1);
    expect(level.reasons[0]).toBe('create-order, refund accept an idempotency key; send-email, notify do not');
  });

  it('gives only the reason a replay committed again when no other operation takes a key', () => {
    const level = conformanceLevel({ scenario: scenario([op('create-order')]), cases: [okCase('create-order', result('replay-commits-nothing', 'fail', 'the replay committed effect 2'))] });
    expect(level).toEqual({ level: 0, reasons: ['create-order: a replay with the same key committed again, so the key is no idempotency mechanism (the replay committed effect 2)'] });
  });

  it('names every key check that failed for an operation', () => {
    const level = conformanceLevel({ scenario: scenario([op('create-order')]), cases: [okCase('create-order', result('key-mismatch-rejected', 'fail'), result('concurrent-same-key', 'fail'))] });
    expect(level.reasons).toContain('create-order accepts a key, but key-mismatch-rejected, concurrent-same-key failed for it: the key does not yet make it retry-safe');
  });

  it('does not take a skipped effect-field as shown, and names every operation without effect', () => {
    const skipped = (name: string): ConformanceCase => ({ id: `${name}/none`, operation: name, checks: [result('effect-field', 'skip'), result('dry-run-no-effects', 'pass')] });
    const level = conformanceLevel({ scenario: scenario([op('create-order'), op('send-email')]), cases: [skipped('create-order'), skipped('send-email')] });
    expect(level.level).toBe(1);
    expect(level.reasons).toContain('not every response reports "effect": create-order (no case showed its effect field); send-email (no case showed its effect field)');
  });

  it('names every mutating operation without a dry run', () => {
    const level = conformanceLevel({ scenario: scenario([op('create-order'), op('send-email')]), cases: [okCase('create-order'), okCase('send-email')] });
    expect(level.level).toBe(2);
    expect(level.reasons.at(-1)).toBe('not every mutating operation has a working dry run: create-order (declares no dryRun); send-email (declares no dryRun)');
  });

  it('is 3 without a note when every dry run was exercised, and names every one that was not', () => {
    const verified = conformanceLevel({ scenario: scenario([op('create-order', { dryRun: dry })]), cases: [okCase('create-order')] });
    expect(verified).toEqual({
      level: 3,
      reasons: [
        'every mutating operation accepts an idempotency key (create-order)',
        'every response of create-order reports "effect"',
        'every mutating operation has a dry run (create-order)',
      ],
    });
    const unexercised = (name: string): ConformanceCase => ({ id: `${name}/none`, operation: name, checks: [result('effect-field', 'pass')] });
    const level = conformanceLevel({ scenario: scenario([op('create-order', { dryRun: dry }), op('send-email', { dryRun: dry })]), cases: [unexercised('create-order'), unexercised('send-email')] });
    expect(level.level).toBe(3);
    expect(level.reasons.at(-1)).toBe('the dry run of create-order, send-email is declared but was not exercised (probes.dryRun off, or dry-run-no-effects not run)');
  });

  it('grades on the reference cases only (the fault-free case and the probes), so run, explore and replay agree', () => {
    const faulted = { id: 'create-order/timeout-after-commit@payments#1', operation: 'create-order', checks: [result('effect-field', 'fail')] };
    const level = conformanceLevel({ scenario: scenario([op('create-order')]), cases: [okCase('create-order'), faulted, { ...faulted, id: 'explore/7' }] });
    expect(level.level).toBe(2);
    // Only an id that ends in /none or /probe:<name>: a faulted case on a route whose path begins with "none" is no reference case.
    const onRoute = { ...faulted, id: 'create-order/timeout-after-commit@catalog GET /nonexistent#1' };
    expect(conformanceLevel({ scenario: scenario([op('create-order')]), cases: [okCase('create-order'), onRoute] }).level).toBe(2);
  });

  it('does not grade a scenario without mutating operations', () => {
    expect(conformanceLevel({ scenario: scenario([op('list', { mutating: false })]), cases: [] })).toEqual({ level: null, reasons: ['the scenario has no mutating operation to grade'] });
  });

  it('grades a module function on the command scale, its key always given (ctx.key)', () => {
    const module = { ...scenario([noKey('create-order')]), target: { kind: 'module', path: 'm.mjs', export: 'default', timeoutMs: 1 } } as unknown as ConformanceScenario;
    const level = conformanceLevel({ scenario: module, cases: [okCase('create-order')] });
    expect(level.level).toBe(2);
  });

  describe('http APIs, on the Idempotency-Key draft\'s scale', () => {
    const http = (extra: Record<string, unknown> = {}) =>
      ({ ...scenario([noKey('create-order')]), target: { kind: 'http', baseUrl: 'http://127.0.0.1:1', timeoutMs: 1, requireKey: false, replayedHeader: false, ...extra } }) as unknown as ConformanceScenario;
    const replayed = (status: CheckResult['status']) => result('replay-commits-nothing', status);
    it('is 0 when a replay committed again, or no replay showed the key works', () => {
      expect(conformanceLevel({ scenario: http(), cases: [okCase('create-order', replayed('fail'))] }).level).toBe(0);
      const unshown = conformanceLevel({ scenario: http(), cases: [okCase('create-order')] });
      expect(unshown.level).toBe(0);
      expect(unshown.reasons[0]).toContain('no replay of create-order showed that a repeated key commits nothing');
    });
    it('is 1 when replays commit nothing but an answer is off the draft, 2 when every answer follows it', () => {
      expect(conformanceLevel({ scenario: http(), cases: [okCase('create-order', replayed('pass'), result('key-mismatch-rejected', 'fail', '400 instead of 422'))] }).level).toBe(1);
      expect(conformanceLevel({ scenario: http(), cases: [okCase('create-order', replayed('pass'), result('key-mismatch-rejected', 'pass'))] }).level).toBe(2);
    });
    it('is 1 when any answer is off the draft: the replay, a reused key with another payload, a key in flight, the status', () => {
      for (const check of ['replay-is-noop', 'key-mismatch-rejected', 'concurrent-same-key', 'exit-codes'] as const) {
        expect(conformanceLevel({ scenario: http(), cases: [okCase('create-order', replayed('pass'), result(check, 'fail'))] }).level, check).toBe(1);
      }
    });
    it('is 3 when the scenario also declares requireKey and replayedHeader and they hold', () => {
      const level = conformanceLevel({ scenario: http({ requireKey: true, replayedHeader: true }), cases: [okCase('create-order', replayed('pass'), result('replay-is-noop', 'pass'))] });
      expect(level.level).toBe(3);
      expect(level.reasons).toEqual([
        'a replay with the same key commits nothing (create-order)',
        'every answer follows the Idempotency-Key draft (the replay returns the first response; 422 for another payload; 409 or the same response in flight)',
        'it requires a key (400 without one) and marks replays with Idempotent-Replayed: true',
      ]);
    });
    it('names every answer off the draft, and what level 3 still needs', () => {
      const off = conformanceLevel({
        scenario: http(),
        cases: [okCase('create-order', replayed('pass'), result('key-mismatch-rejected', 'fail', '400 instead of 422'), result('exit-codes', 'fail', '201 with effect none'))],
      });
      expect(off).toEqual({
        level: 1,
        reasons: [
          'a replay with the same key commits nothing (create-order)',
          'not every answer follows the Idempotency-Key draft: create-order: key-mismatch-rejected (400 instead of 422); create-order: exit-codes (201 with effect none)',
        ],
      });
      expect(conformanceLevel({ scenario: http({ requireKey: true }), cases: [okCase('create-order', replayed('pass'))] }).reasons.at(-1)).toBe(
        'level 3 needs the scenario to declare and the API to keep replayedHeader (Idempotent-Replayed: true on replays)',
      );
      expect(conformanceLevel({ scenario: http({ replayedHeader: true }), cases: [okCase('create-order', replayed('pass'))] }).reasons.at(-1)).toBe(
        'level 3 needs the scenario to declare and the API to keep requireKey (400 for a request without a key)',
      );
      expect(conformanceLevel({ scenario: http(), cases: [okCase('create-order', replayed('pass'))] }).reasons.at(-1)).toBe(
        'level 3 needs the scenario to declare and the API to keep requireKey (400 for a request without a key) and replayedHeader (Idempotent-Replayed: true on replays)',
      );
    });
    it('gives only the reason a replay committed again when one did', () => {
      expect(conformanceLevel({ scenario: http(), cases: [okCase('create-order', replayed('fail'))] })).toEqual({
        level: 0,
        reasons: ['create-order: a replay with the same key committed again, so the key is no idempotency mechanism (replay-commits-nothing fail)'],
      });
    });
  });
});

describeEndToEnd('conformanceLevel end to end', () => {
  it('grades the probe tool 3 with its dry run, and 2 without', async () => {
    const withDryRun = await runProbeTool({ faults: ['none'], probes: { dryRun: true }, dryRun: true });
    expect(conformanceLevel({ scenario: withDryRun.scenario, cases: withDryRun.result.cases })).toEqual({
      level: 3,
      reasons: [
        'every mutating operation accepts an idempotency key (create-order)',
        'every response of create-order reports "effect"',
        'every mutating operation has a dry run (create-order)',
      ],
    });
    const without = await runProbeTool({ faults: ['none'] });
    expect(conformanceLevel({ scenario: without.scenario, cases: without.result.cases }).level).toBe(2);
  });
});
