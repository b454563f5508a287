// The database's after-commit faults in the systematic pass (issue 17): a service's COMMITs are a fault site with only the faults a connection has.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSchedule } from '../../src/explore/describe.js';
import { systematicCases } from '../../src/explore/systematic.js';
import { parseScenario } from '../../src/scenario/load.js';

const scenario = parseScenario(
  JSON.stringify({
    target: { kind: 'command', argv: ['node', 'tool.mjs'], env: { DATABASE_URL: '{{services.db.url}}' } },
    services: { db: { kind: 'postgres' } },
    upstreams: { payments: { model: 'resource', path: '/charges', honoursIdempotencyKey: true } },
    operations: [{ name: 'create-order', args: ['{{key}}'], input: { amount: 100 } }],
    faults: ['none', 'reset-after-commit', 'timeout-after-commit', '503-after-commit', '503-before-commit'],
    depth: 1,
  }),
  path.join(process.cwd(), 'scenario.json'),
);

describe('systematic pass with a database service', () => {
  // The clean run committed a transaction first, then charged.
  const cases = systematicCases(scenario, new Map([['create-order', ['db', 'payments']]]));
  const ids = cases.map((planned) => planned.id.replace('create-order/', ''));

  it("puts on the database's COMMITs only the faults a connection has after a commit, and every fault on the upstream", () => {
    expect(ids.filter((id) => id.includes('@db'))).toEqual(['reset-after-commit@db#1', 'timeout-after-commit@db#1']);
    expect(ids.filter((id) => id.includes('@payments#1') && !id.endsWith('+'))).toEqual([
      'reset-after-commit@payments#1',
      'timeout-after-commit@payments#1',
      '503-after-commit@payments#1',
      '503-before-commit@payments#1',
    ]);
  });

  it('has no outage on the database, and races the concurrent probe on the upstream', () => {
    expect(ids.filter((id) => id.endsWith('+'))).toEqual(['503-before-commit@payments#1+']);
    const concurrent = cases.find((planned) => planned.id.endsWith('probe:concurrent'))!;
    expect(concurrent.schedule.faults.map((binding) => binding.upstream)).toEqual(['payments']);
  });

  it('says what happened to which COMMIT', () => {
    const dropped = cases.find((planned) => planned.id.endsWith('reset-after-commit@db#1'))!;
    expect(describeSchedule(dropped.schedule, new Set(['db']))).toMatch(/^COMMIT #1 to db: connection dropped after commit; /);
    const held = cases.find((planned) => planned.id.endsWith('timeout-after-commit@db#1'))!;
    expect(describeSchedule(held.schedule, new Set(['db']))).toMatch(/^COMMIT #1 to db: answer held after commit; /);
  });
});
