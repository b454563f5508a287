import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/core/check-result.js';
import { confirmTimingFailures } from '../../src/runner/confirm-timing.js';

const result = (check: CheckResult['check'], status: CheckResult['status'], message = `${check} ${status}`): CheckResult => ({ check, status, message });

describe('confirmTimingFailures (issue 13, class 8: a timing verdict must hold on a loaded machine)', () => {
  it('does not run the case again when no timing check failed', async () => {
    let reruns = 0;
    const checks = [result('retry-policy', 'pass'), result('no-duplicate-effects', 'fail')];
    expect(await confirmTimingFailures('c', checks, async () => (reruns++, []), () => undefined)).toEqual(checks);
    expect(reruns).toBe(0);
  });

  it('keeps a failure that comes back, and says it was confirmed', async () => {
    const amended: CheckResult[] = [];
    const [judged] = await confirmTimingFailures('op/x', [result('retry-policy', 'fail', 'waits shrank')], async (id, names) => {
      expect(id).toBe('op/x/confirm');
      expect(names).toEqual(['retry-policy']);
      return [result('retry-policy', 'fail')];
    }, (check) => amended.push(check));
    expect(judged!.status).toBe('fail');
    expect(judged!.message).toBe('waits shrank (confirmed: it failed again when the case ran again as op/x/confirm)');
    expect(amended).toEqual([judged]);
  });

  it('reports a failure that does not come back as an unconfirmed warning, and amends the ledger to match', async () => {
    const amended: CheckResult[] = [];
    const [judged, other] = await confirmTimingFailures('op/x', [result('retry-policy', 'fail', 'waited 168 ms then 114 ms'), result('exit-codes', 'pass')], async () => [result('retry-policy', 'pass')], (check) => amended.push(check));
    expect(judged!.status).toBe('warn');
    expect(judged!.message).toBe('unconfirmed timing failure: waited 168 ms then 114 ms; when the case ran again as op/x/confirm, retry-policy held, so a loaded machine may have made it');
    expect(other!.status).toBe('pass');
    expect(amended.map((check) => check.status)).toEqual(['warn']);
  });

  it('after a stall of the harness, confirms every failed check, not only timing ones (zoo twins under a parallel npm test)', async () => {
    const checks = [result('no-duplicate-effects', 'fail', '2 charges'), result('concurrent-same-key', 'fail', 'exited 75 with unknown'), result('exit-codes', 'pass')];
    let asked: readonly string[] = [];
    const judged = await confirmTimingFailures('op/x', checks, async (_id, names) => ((asked = names), [result('no-duplicate-effects', 'fail'), result('concurrent-same-key', 'pass')]), () => undefined, 450);
    expect(asked).toEqual(['no-duplicate-effects', 'concurrent-same-key']);
    expect(judged.map((check) => check.status)).toEqual(['fail', 'warn', 'pass']);
    // Confirmed after a stall, a failure keeps its words: a stall must not change a verdict's text (determinism.test.ts).
    expect(judged[0]).toBe(checks[0]);
    expect(judged[1]!.message).toBe(
      'unconfirmed failure (the harness stalled 450 ms during the case): exited 75 with unknown; when the case ran again as op/x/confirm, concurrent-same-key held, so a loaded machine may have made it',
    );
    // Below the stall threshold, only timing checks are run again.
    let reruns = 0;
    expect(await confirmTimingFailures('op/x', checks, async () => (reruns++, []), () => undefined, 199)).toEqual(checks);
    expect(reruns).toBe(0);
  });
});
