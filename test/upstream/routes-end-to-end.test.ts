/**
 * Several routes on one upstream, end to end: a command-line tool with one
 * upstream URL posts /charges and then /audit (test/fixtures/routes/
 * charge-and-audit.mjs). The naive variant retries the whole sequence after a
 * lost answer and charges twice; the report names each route's own noun. The
 * keyed variant sends its key to /charges (which deduplicates) and looks its
 * audit record up before writing it again (/audit does not deduplicate), and
 * passes. The systematic pass faults each route's requests, and fingerprints
 * use each route's own ignoreFields.
 */
import { expect, it } from 'vitest';
import type { ScenarioResult } from '../../src/core/result.js';
import { describeEndToEnd } from '../helpers/end-to-end.js';
import { fixture, runScenarioFile } from '../helpers/scenario.js';

function scenario(variant: 'naive' | 'keyed'): Record<string, unknown> {
  return {
    name: `charge-and-audit-${variant}`,
    target: {
      kind: 'command',
      argv: [process.execPath, fixture('routes', 'charge-and-audit.mjs')],
      // The tool's own timeout ends a held request; a margin keeps a loaded machine from timing out healthy answers.
      env: { API_URL: '{{upstreams.api.url}}', VARIANT: variant, REQUEST_TIMEOUT_MS: '1500' },
      timeoutMs: 15_000,
      killGraceMs: 100,
    },
    upstreams: {
      api: {
        routes: [
          { model: 'resource', path: '/charges', noun: 'charge', honoursIdempotencyKey: true },
          // The audit record names the charge, whose id differs from run to run: this route's own ignoreFields.
          { model: 'resource', path: '/audit', noun: 'audit record', ignoreFields: ['charge'] },
        ],
      },
    },
    operations: [{ name: 'charge', args: ['charge', '--amount', '{{input.amount}}', '--key', '{{key}}'], input: { amount: 100 } }],
    caller: { retries: 0, replay: false },
    faults: ['none', 'timeout-after-commit'],
    depth: 1,
    holdLimitMs: 5_000,
    checks: ['no-duplicate-effects', 'no-lost-effects'],
    probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false },
  };
}

function caseNamed(result: ScenarioResult, id: string) {
  const found = result.cases.find((item) => item.id === id);
  expect(found, `case ${id} among ${result.cases.map((item) => item.id).join(', ')}`).toBeDefined();
  return found!;
}

function messageOf(result: ScenarioResult, id: string, check: string): string {
  return caseNamed(result, id).checks.find((entry) => entry.check === check)?.message ?? '';
}

describeEndToEnd('several routes on one upstream, end to end (a command target)', () => {
  it('the naive tool that retries the whole sequence is caught charging twice, in charges and audit records', async () => {
    const { result } = await runScenarioFile(scenario('naive'));
    expect(result.baselines).toEqual([
      expect.objectContaining({ operation: 'charge', upstreams: ['api'], effects: { 'api POST /charges': 1, 'api POST /audit': 1 } }),
    ]);
    expect(result.failedChecks).toEqual(['no-duplicate-effects']);

    const onCharges = 'charge/timeout-after-commit@api POST /charges#1';
    expect(caseNamed(result, onCharges).faults).toEqual([expect.objectContaining({ requestId: 1 })]);
    const charges = messageOf(result, onCharges, 'no-duplicate-effects');
    expect(charges).toMatch(/duplicate effects: 2 charges on api POST \/charges \(clean run: 1\)/);
    expect(charges).not.toMatch(/\d effects? on/);
    expect(caseNamed(result, onCharges).outcomeText).toMatch(/1 audit record committed on api POST \/audit \(clean run: 1\)/);

    const onAudit = 'charge/timeout-after-commit@api POST /audit#1';
    expect(caseNamed(result, onAudit).faults).toEqual([expect.objectContaining({ requestId: 2 })]);
    const audit = messageOf(result, onAudit, 'no-duplicate-effects');
    expect(audit).toMatch(/2 audit records on api POST \/audit \(clean run: 1\)/);
    expect(audit).toMatch(/2 charges on api POST \/charges/);
  }, 120_000);

  it('the keyed tool passes, with every route it sends to faulted', async () => {
    const { result } = await runScenarioFile(scenario('keyed'));
    expect(result.failedChecks).toEqual([]);
    const faulted = result.cases.filter((item) => item.schedule.faults.length > 0);
    // POST /charges, then the look-up GET /audit?ref=..., then POST /audit: each route at position 1, each reached.
    expect(faulted.map((item) => item.id)).toEqual([
      'charge/timeout-after-commit@api POST /charges#1',
      'charge/timeout-after-commit@api GET /audit#1',
      'charge/timeout-after-commit@api POST /audit#1',
    ]);
    expect(faulted.map((item) => item.faults[0]!.requestId)).toEqual([1, 2, 3]);
    for (const item of faulted) expect(item.outcomeText).toMatch(/^1 audit record committed on api POST \/audit \(clean run: 1\); 1 charge committed on api POST \/charges \(clean run: 1\); ended in success/);
  }, 120_000);
});
