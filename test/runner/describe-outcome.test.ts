import { describe, expect, it } from 'vitest';
import { describeOutcome } from '../../src/runner/describe-outcome.js';
import { eff, inv, lookup, req } from '../fixtures/check-targets-2/rows.js';
import type { CaseRows } from '../../src/ledger/rows.js';

const baseline = { operation: 'create-order', effects: [], routeCounts: new Map([['payments POST /charges', 1]]) };
const traits = new Map([['payments', { noun: 'charge' }]]) as never;
const rows = (spec: Partial<CaseRows>): CaseRows => ({ invocations: [], requests: [], effects: [], ...spec }) as CaseRows;

describe('describeOutcome', () => {
  it('counts effects against the clean run and says how the operation ended', () => {
    const text = describeOutcome(rows({ invocations: [inv(1), inv(2, { role: 'replay' })], requests: [req(1, 1)], effects: [eff(1, 1)] }), baseline, 'success', traits);
    expect(text).toBe('1 charge committed on payments POST /charges (clean run: 1); ended in success after 1 invocation');
  });

  it('says what a dry-run probe said, not "an unknown outcome" (issue 14)', () => {
    const text = describeOutcome(rows({ invocations: [inv(1, { role: 'dry-run', effect: 'would_create' })], requests: [lookup(1, 1)] }), baseline, 'unknown', traits);
    expect(text).toBe('0 charges committed on payments POST /charges (clean run: 1); a dry run only: it reported "would_create", exit 0');
  });

  it('says so when a dry run printed no effect, or was killed', () => {
    const silent = describeOutcome(rows({ invocations: [inv(1, { role: 'dry-run', effect: null, exitCode: 3 })] }), baseline, 'unknown', traits);
    expect(silent).toMatch(/a dry run only: it reported no effect, exit 3$/);
    const killed = describeOutcome(rows({ invocations: [inv(1, { role: 'dry-run', effect: null, exitCode: null, killed: true, signal: 'SIGKILL' })] }), baseline, 'unknown', traits);
    expect(killed).toMatch(/a dry run only: it reported no effect, killed$/);
  });
});
