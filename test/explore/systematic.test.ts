// The systematic pass's plan: which one-fault cases and persistent probes it runs (no target is run here).
import { describe, expect, it } from 'vitest';
import { systematicCases } from '../../src/explore/systematic.js';
import { parseScenario } from '../../src/scenario/load.js';

const scenario = (faults: string[], faultParams: Record<string, unknown> = {}) =>
  parseScenario(
    JSON.stringify({
      faultParams,
      target: { kind: 'command', argv: ['node', 'tool.mjs'] },
      upstreams: {
        payments: { model: 'resource', path: '/charges', honoursIdempotencyKey: true },
        ledger: { model: 'resource', path: '/entries', honoursIdempotencyKey: false },
        mailer: { model: 'mailer', path: '/messages' },
      },
      operations: [{ name: 'create-order', args: ['--key', '{{key}}'] }],
      faults,
      depth: 1,
      probes: { concurrent: false, mismatch: false, dryRun: false, missingKey: false, persistent: true },
    }),
    'plan.json',
  );
const contacts = new Map([['create-order', ['payments', 'ledger', 'mailer']]]);
const ids = (faults: string[]) => systematicCases(scenario(faults), contacts).map((planned) => planned.id);

describe('the systematic pass', () => {
  it('holds 409-in-flight on every request only of upstreams that keep idempotency keys', () => {
    expect(ids(['409-in-flight'])).toEqual([
      // The fault-free case always runs (reachability and the contract level are judged on it).
      'create-order/none',
      // One 409 at each position of every upstream, as every fault of the catalog…
      'create-order/409-in-flight@payments#1',
      'create-order/409-in-flight@ledger#1',
      'create-order/409-in-flight@mailer#1',
      // …but "a request with this key is still in flight" on every request only where a key is kept.
      'create-order/409-in-flight@payments#1+',
    ]);
  });

  it('holds the other retryable faults on every request of every upstream', () => {
    expect(ids(['503-before-commit']).filter((id) => id.endsWith('+'))).toEqual([
      'create-order/503-before-commit@payments#1+',
      'create-order/503-before-commit@ledger#1+',
      'create-order/503-before-commit@mailer#1+',
    ]);
  });

  it('sends no Retry-After on the persistent 503s (the target\'s own back-off is judged there), the fault\'s default on a single 503', () => {
    const faultsOf = (plan: ReturnType<typeof systematicCases>, id: string) => plan.find((item) => item.id === id)!.schedule.faults;
    const plan = systematicCases(scenario(['503-before-commit']), contacts);
    expect(faultsOf(plan, 'create-order/503-before-commit@payments#1')).toEqual([{ upstream: 'payments', ordinal: 1, fault: '503-before-commit' }]);
    expect(faultsOf(plan, 'create-order/503-before-commit@payments#1+')).toEqual([
      { upstream: 'payments', ordinal: 1, fault: '503-before-commit', andAfter: true, params: { retryAfterSeconds: null } },
    ]);
    // Other parameters are kept; a Retry-After the scenario asks for is sent on the persistent probe too.
    const delayed = systematicCases(scenario(['503-before-commit'], { '503-before-commit': { delayMs: 5 } }), contacts);
    expect(faultsOf(delayed, 'create-order/503-before-commit@payments#1+')[0]!.params).toEqual({ delayMs: 5, retryAfterSeconds: null });
    const asked = systematicCases(scenario(['503-before-commit'], { '503-before-commit': { retryAfterSeconds: 2 } }), contacts);
    expect(faultsOf(asked, 'create-order/503-before-commit@payments#1+')[0]!.params).toEqual({ retryAfterSeconds: 2 });
  });

  it('leaves restart-after-commit out where the target cannot be restarted', () => {
    const planned = systematicCases(scenario(['none', 'restart-after-commit']), contacts, new Set(['restart-after-commit']));
    expect(planned.map((item) => item.id)).toEqual(['create-order/none']);
  });
});
