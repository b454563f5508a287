import { describe, expect, it } from 'vitest';
import { CHECK_NAMES } from '../../src/core/check-names.js';
import { invocationOutcome, isFailureEffect, isSuccessEffect, operationOutcome } from '../../src/checks/outcome.js';
import { CHECKS } from '../../src/checks/registry.js';
import { runCareful } from './careful-tool.js';
import { invocation, killed, printed } from './rows.js';
import { describeEndToEnd } from '../helpers/end-to-end.js';

const contract = { success: [0], failure: [1, 75] };

describe('what an invocation\'s caller can conclude', () => {
  it('exit codes decide success and failure; an undeclared code is a failure', () => {
    expect(invocationOutcome(invocation(1, { exitCode: 0 }), contract)).toBe('success');
    expect(invocationOutcome(invocation(1, { exitCode: 1, effect: 'none' }), contract)).toBe('failure');
    expect(invocationOutcome(invocation(1, { exitCode: 9, effect: 'none' }), contract)).toBe('failure');
    expect(invocationOutcome(printed(1, 'done\n', { exitCode: 0 }), contract)).toBe('success');
  });

  it('a killed invocation, one ended by a signal, or one that says "unknown" has an unknown outcome', () => {
    expect(invocationOutcome(killed(1), contract)).toBe('unknown');
    expect(invocationOutcome(killed(1, { killReason: 'timeout' }), contract)).toBe('unknown');
    expect(invocationOutcome(invocation(1, { exitCode: null, signal: 'SIGSEGV' }), contract)).toBe('unknown');
    expect(invocationOutcome(invocation(1, { exitCode: 75, effect: 'unknown' }), contract)).toBe('unknown');
    expect(invocationOutcome(invocation(1, { exitCode: 0, effect: 'unknown' }), contract)).toBe('unknown');
  });

  it('the operation ends as its last attempt ended, whatever the replay did', () => {
    expect(operationOutcome([killed(1), invocation(2)], contract)).toBe('success');
    expect(operationOutcome([invocation(1, { exitCode: 1, effect: 'none' }), killed(2)], contract)).toBe('unknown');
    expect(operationOutcome([invocation(1), invocation(2, { role: 'replay', exitCode: 1, effect: 'none' })], contract)).toBe('success');
    expect(operationOutcome([], contract)).toBe('unknown');
  });

  it('the effect vocabulary', () => {
    for (const word of ['created', 'updated', 'deleted', 'noop', 'would_create', 'would_update']) expect(isSuccessEffect(word), word).toBe(true);
    for (const word of ['none', 'unknown']) expect(isFailureEffect(word), word).toBe(true);
    for (const word of ['failed', 'Created', 'ok', '']) {
      expect(isSuccessEffect(word), word).toBe(false);
      expect(isFailureEffect(word), word).toBe(false);
    }
  });
});

describe('the registry', () => {
  it('has one check per name, each named as registered and saying when it holds', () => {
    expect(Object.keys(CHECKS).sort()).toEqual([...CHECK_NAMES].sort());
    for (const name of CHECK_NAMES) {
      expect(CHECKS[name].name).toBe(name);
      expect(CHECKS[name].holdsWhen.length).toBeGreaterThan(10);
    }
  });
});

describeEndToEnd('unknown outcomes end to end', () => {
  it('a tool killed after commit, or whose request timed out after commit, is neither done nor failed: the careful tool passes every check', async () => {
    const result = await runCareful({ faults: ['crash-after-commit', 'timeout-after-commit'], requestTimeoutMs: 500 });
    expect(result.failedChecks).toEqual([]);
    expect(result.cases.map((item) => item.id)).toEqual([
      'create-order/none',
      'create-order/crash-after-commit@payments#1',
      'create-order/timeout-after-commit@payments#1',
    ]);
    for (const item of result.cases.filter((each) => each.schedule.faults.length > 0)) {
      // The killed (or unknown) attempt, the retry that finds the charge, the replay.
      expect(item.invocations, item.id).toBe(3);
      expect(item.effects, item.id).toBe(1);
      expect(item.faults[0]!.requestId, item.id).toBe(1);
    }
    for (const name of ['no-duplicate-effects', 'no-lost-effects', 'replay-is-noop', 'exit-codes', 'effect-field'] as const) {
      expect(result.checks[name], name).toEqual({ pass: 3, fail: 0, warn: 0, skip: 0 });
    }
    for (const name of CHECK_NAMES) expect(result.checks[name]?.fail ?? 0, name).toBe(0);
  });
});
