import { afterAll, describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../src/core/result.js';
import { formatScenarioSummary, verdictLine, verdictLines } from '../../src/report/console.js';
import { writeSampleRun } from './fixtures/sample-run.js';

const run = writeSampleRun({ conformance: true });
afterAll(() => run.cleanup());
const plain = { color: false };

describe('the console summary', () => {
  it('leads with the two verdicts, right under the scenario line', () => {
    const lines = formatScenarioSummary(run.result, plain).split('\n');
    expect(lines[1]).toBe('  safe to retry: NO — no-duplicate-effects failed');
    expect(lines[2]).toBe(
      '  contract: level 1 of 3; failing: effect-field (gates the exit status: auto: the clean run of create-order reported "effect": "created", so the target is held to the contract)',
    );
  });

  it('says when every safety check held and the contract only grades', () => {
    const safe: ScenarioResult = {
      ...run.result,
      safety: { safe: true, failedChecks: [] },
      contract: { ...run.result.contract, gated: false, why: 'auto: the clean run claims no contract' },
    };
    expect(verdictLines(safe, plain)).toEqual([
      '  safe to retry: YES — every effects and retry-behaviour check held',
      '  contract: level 1 of 3; failing: effect-field (graded, not gated: auto: the clean run claims no contract)',
    ]);
  });

  it('ends with a verdict line that names unexpected failures and expected ones that held', () => {
    expect(verdictLine(run.result, plain)).toBe('verdict: FAIL — unexpected: no-duplicate-effects');
    const held: ScenarioResult = { ...run.result, asExpected: false, unexpectedFailures: [], heldExpected: ['no-lost-effects'] };
    expect(verdictLine(held, plain)).toBe('verdict: FAIL — expected to fail but held: no-lost-effects');
    expect(verdictLine({ ...run.result, asExpected: true, unexpectedFailures: [], expectedFail: [] }, plain)).toBe('verdict: PASS');
    expect(verdictLine({ ...run.result, asExpected: true, unexpectedFailures: [] }, plain)).toBe('verdict: FAIL as expected (effect-field)');
  });

  it('lists the family of every check in the table', () => {
    const text = formatScenarioSummary(run.result, plain);
    expect(text).toMatch(/no-duplicate-effects\s+effects\s+2\s+1/);
    expect(text).toMatch(/effect-field\s+contract\s+1\s+2/);
  });
});
