// The systematic pass's plan: which one-fault cases and persistent probes it runs (no target is run here).
import { describe, expect, it } from 'vitest';
import { systematicCases } from '../../src/explore/systematic.js';
import { parseScenario } from '../../src/scenario/load.js';

const scenario = (faults: string[]) =>
  parseScenario(
    JSON.stringify({
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

  it('leaves restart-after-commit out where the target cannot be restarted', () => {
    const planned = systematicCases(scenario(['none', 'restart-after-commit']), contacts, new Set(['restart-after-commit']));
    expect(planned.map((item) => item.id)).toEqual(['create-order/none']);
  });
});
