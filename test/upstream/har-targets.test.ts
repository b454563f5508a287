/**
 * `model: har` under `retryproof run` with a module target, in-process (msw)
 * and over loopback: the incident's recording (test/fixtures/har/incident.har)
 * serves the stripe SDK called in-process (test/fixtures/har/checkout-module.mjs).
 * The naive job is caught creating two intents after timeout-after-commit; the
 * SDK's own retries (one key) pass.
 */
import { expect, it } from 'vitest';
import { describeEndToEnd } from '../helpers/end-to-end.js';
import { fixture, runScenarioFile } from '../helpers/scenario.js';

function scenario(mode: 'naive-retry' | 'sdk-retries', interception: 'msw' | 'loopback'): Record<string, unknown> {
  return {
    name: `har-checkout-${mode}-${interception}`,
    target: { kind: 'module', path: fixture('har', 'checkout-module.mjs'), export: 'checkout', timeoutMs: 20_000, interception },
    upstreams: { stripe: { model: 'har', file: fixture('har', 'incident.har'), honoursIdempotencyKey: true, noun: 'payment' } },
    operations: [{ name: 'checkout', input: { mode, amount: 100, order: 7 } }],
    caller: { retries: 0, replay: false },
    faults: ['none', 'timeout-after-commit'],
    depth: 1,
    holdLimitMs: 5_000,
    checks: ['no-duplicate-effects', 'no-lost-effects'],
    probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false },
  };
}

describeEndToEnd('model: har with module targets', () => {
  for (const interception of ['msw', 'loopback'] as const) {
    it(`${interception}: the naive job duplicates the recorded create; the SDK's retries do not`, async () => {
      const naive = await runScenarioFile(scenario('naive-retry', interception));
      expect(naive.result.failedChecks).toEqual(['no-duplicate-effects']);
      const faulted = naive.result.cases.find((item) => item.schedule.faults.length > 0)!;
      expect(faulted.outcomeText).toMatch(/^2 payments committed on stripe POST \/v1\/payment_intents \(clean run: 1\)/);

      const fixed = await runScenarioFile(scenario('sdk-retries', interception));
      expect(fixed.result.failedChecks).toEqual([]);
      expect(fixed.result.cases.find((item) => item.schedule.faults.length > 0)!.outcomeText).toMatch(/^1 payment committed on stripe POST \/v1\/payment_intents \(clean run: 1\); ended in success/);
    }, 90_000);
  }
});
