import { describe, expect, it } from 'vitest';
import { CHECK_NAMES } from '../../src/core/check-names.js';
import { invocationOutcome, isFailureEffect, isSuccessEffect, operationOutcome } from '../../src/checks/outcome.js';
import { CHECKS } from '../../src/checks/registry.js';
import { runCareful } from './careful-tool.js';
import { invocation, killed, printed } from './rows.js';
import { describeEndToEnd } from '../helpers/end-to-end.js';
import type { InvocationRow } from '../../src/ledger/rows.js';

const contract = { success: [0], failure: [1, 75] };

/** An http target's invocation, as http-session records it: no exit code, no signal, never killed; `status` null when no response came. */
const httpCall = (id: number, status: number | null, overrides: Partial<InvocationRow> = {}): InvocationRow =>
  invocation(id, {
    targetKind: 'http',
    argv: ['POST', '/orders'],
    exitCode: null,
    httpStatus: status,
    effect: null,
    stdoutJson: null,
    stdout: '',
    error: status === null ? 'timeout after 500 ms' : null,
    ...overrides,
  });

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

  it('an invocation killed at its timeout is unknown even if it then exited 0 (a command that trapped SIGTERM, a module call that settled in the grace period)', () => {
    const trapped = invocation(1, { killed: true, killReason: 'timeout', signal: null, exitCode: 0 });
    expect(invocationOutcome(trapped, contract)).toBe('unknown');
    const lateModule = invocation(1, { targetKind: 'module', killed: true, killReason: 'timeout', signal: null, exitCode: 0 });
    expect(invocationOutcome(lateModule, contract)).toBe('unknown');
  });

  it('http: a 2xx is a success, any other status a failure (200 and 299 in, 199 and 300 out), no response is unknown', () => {
    for (const status of [200, 201, 299]) expect(invocationOutcome(httpCall(1, status), contract), String(status)).toBe('success');
    for (const status of [199, 300, 409, 500, 502]) expect(invocationOutcome(httpCall(1, status), contract), String(status)).toBe('failure');
    expect(invocationOutcome(httpCall(1, null), contract)).toBe('unknown');
  });

  it('the operation ends as its last attempt ended, whatever the replay did', () => {
    expect(operationOutcome([killed(1), invocation(2)], contract)).toBe('success');
    expect(operationOutcome([invocation(1, { exitCode: 1, effect: 'none' }), killed(2)], contract)).toBe('unknown');
    expect(operationOutcome([invocation(1), invocation(2, { role: 'replay', exitCode: 1, effect: 'none' })], contract)).toBe('success');
    expect(operationOutcome([], contract)).toBe('unknown');
  });

  it('concurrent duplicates: the operation succeeded if any of them did, whichever finished last', () => {
    const racer = (id: number, overrides: Partial<InvocationRow> = {}) => invocation(id, { role: 'concurrent', ...overrides });
    expect(operationOutcome([racer(1), racer(2, { exitCode: 1, effect: 'none' })], contract)).toBe('success');
    expect(operationOutcome([racer(1, { exitCode: 1, effect: 'none' }), racer(2)], contract)).toBe('success');
    expect(operationOutcome([racer(1), killed(2, { role: 'concurrent' })], contract)).toBe('success');
  });

  it('concurrent duplicates that all failed: unknown if one of them is unknown, else a failure', () => {
    const racer = (id: number, overrides: Partial<InvocationRow> = {}) => invocation(id, { role: 'concurrent', ...overrides });
    expect(operationOutcome([killed(1, { role: 'concurrent' }), racer(2, { exitCode: 1, effect: 'none' })], contract)).toBe('unknown');
    expect(operationOutcome([racer(1, { exitCode: 1, effect: 'none' }), racer(2, { exitCode: 75, effect: 'none' })], contract)).toBe('failure');
  });

  it('the effect vocabulary', () => {
    for (const word of ['created', 'updated', 'deleted', 'noop', 'would_create', 'would_update']) expect(isSuccessEffect(word), word).toBe(true);
    for (const word of ['none', 'unknown']) expect(isFailureEffect(word), word).toBe(true);
    for (const word of ['failed', 'Created', 'ok', '', 'not_would_create', 'would_create2', 'would_Create']) {
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
