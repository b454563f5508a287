import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { judgeRun, type VerdictInput } from '../../src/checks/verdict.js';
import { describeEndToEnd } from '../helpers/end-to-end.js';

const level1 = { level: 1 as const, reasons: ['some reason'] };
const judge = (overrides: Partial<VerdictInput>) =>
  judgeRun({ failedChecks: [], expectFail: [], rule: 'auto', claim: null, conformance: level1, ...overrides });

describe('judgeRun: safe to retry apart from the contract', () => {
  it('a safe target whose contract checks fail passes when the contract does not gate (auto, no claim; or none)', () => {
    for (const rule of ['auto', 'none'] as const) {
      const verdicts = judge({ rule, failedChecks: ['effect-field', 'replay-is-noop'] });
      expect(verdicts.safety).toEqual({ safe: true, failedChecks: [] });
      expect(verdicts.contract.gated).toBe(false);
      expect(verdicts.contract.failedChecks).toEqual(['replay-is-noop', 'effect-field']);
      expect(verdicts.verdict).toBe('pass');
      expect(verdicts.asExpected).toBe(true);
    }
  });

  it('fails the same target with contract: required, or auto when its clean run claims the contract', () => {
    const required = judge({ rule: 'required', failedChecks: ['effect-field'] });
    expect(required.contract.gated).toBe(true);
    expect(required.contract.why).toBe('contract: required in the scenario');
    expect(required.asExpected).toBe(false);
    expect(required.unexpected).toEqual(['effect-field']);
    const claimed = judge({ claim: 'the clean run of create-order reported "effect": "created"', failedChecks: ['replay-is-noop'] });
    expect(claimed.contract.gated).toBe(true);
    expect(claimed.contract.why).toBe('auto: the clean run of create-order reported "effect": "created"');
    expect(claimed.verdict).toBe('fail');
  });

  it('the contract verdict lists only the contract checks that failed; safety lists the rest', () => {
    const verdicts = judge({ failedChecks: ['no-duplicate-effects', 'effect-field', 'retry-policy'] });
    expect(verdicts.contract.failedChecks).toEqual(['effect-field']);
    expect(verdicts.safety.failedChecks).toEqual(['no-duplicate-effects', 'retry-policy']);
  });

  it('contract: none never gates, even when the clean run claims the contract, and says so', () => {
    const verdicts = judge({ rule: 'none', claim: 'the clean run of create-order reported "effect": "created"', failedChecks: ['effect-field'] });
    expect(verdicts.contract.gated).toBe(false);
    expect(verdicts.contract.why).toBe('contract: none in the scenario');
    expect(verdicts.verdict).toBe('pass');
    expect(verdicts.unexpected).toEqual([]);
  });

  it('auto without a claim says the contract is graded, not gated', () => {
    expect(judge({ rule: 'auto', claim: null }).contract.why).toBe(
      'auto: the clean run claims no contract (no "effect" field), so the contract is graded, not gated',
    );
  });

  it('is unsafe on any effects or retry-behaviour failure, whatever the contract', () => {
    for (const check of ['no-duplicate-effects', 'replay-commits-nothing', 'retry-policy', 'key-stable-across-retries'] as const) {
      const verdicts = judge({ rule: 'none', failedChecks: [check] });
      expect(verdicts.safety.safe, check).toBe(false);
      expect(verdicts.asExpected, check).toBe(false);
    }
  });

  it('reads expect.fail written before the split: an old name covers its effects half too', () => {
    const verdicts = judge({ expectFail: ['replay-is-noop'], failedChecks: ['replay-commits-nothing'] });
    expect(verdicts.unexpected).toEqual([]);
    expect(verdicts.heldExpected).toEqual([]);
    expect(verdicts.asExpected).toBe(true);
    const held = judge({ expectFail: ['replay-is-noop', 'no-lost-effects'], failedChecks: ['replay-is-noop'] });
    expect(held.heldExpected).toEqual(['no-lost-effects']);
    expect(held.asExpected).toBe(false);
    const notCovered = judge({ expectFail: ['replay-commits-nothing'], failedChecks: ['replay-commits-nothing', 'mismatch-commits-nothing'] });
    expect(notCovered.unexpected).toEqual(['mismatch-commits-nothing']);
  });
});

describeEndToEnd('the exit status of a safe client that prints no effect field (issue 12)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-verdict-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (contract?: string) => {
    let file = 'test/fixtures/verdict/sdk-client.yaml';
    if (contract) {
      file = path.join('test/fixtures/verdict', `.sdk-client-${contract}.yaml`);
      writeFileSync(file, `${readFileSync('test/fixtures/verdict/sdk-client.yaml', 'utf8')}contract: ${contract}\n`);
    }
    const reports = path.join(dir, contract ?? 'auto');
    const result = spawnSync(process.execPath, ['dist/cli/main.js', 'run', file, '--reports', reports, '-q'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    if (contract) rmSync(file, { force: true });
    const runDir = path.join(reports, 'sdk-client', readdirSync(path.join(reports, 'sdk-client'))[0]!);
    return { status: result.status, stdout: result.stdout, report: JSON.parse(readFileSync(path.join(runDir, 'report.json'), 'utf8')) };
  };

  it('exits 0 by default: safe to retry, contract graded (level 1), not gated', () => {
    const { status, stdout, report } = run();
    expect(report.safety).toEqual({ safe: true, failedChecks: [] });
    expect(report.contract.level).toBe(1);
    expect(report.contract.gated).toBe(false);
    expect(report.contract.failedChecks).toContain('effect-field');
    expect(stdout).toContain('safe to retry: YES');
    expect(status, stdout).toBe(0);
  }, 120_000);

  it('exits 1 with contract: required, and says which rule applied', () => {
    const { status, stdout, report } = run('required');
    expect(report.safety.safe).toBe(true);
    expect(report.contract.gated).toBe(true);
    expect(stdout).toContain('gates the exit status: contract: required in the scenario');
    expect(status, stdout).toBe(1);
  }, 120_000);
});
