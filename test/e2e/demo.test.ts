import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, type Scenario } from '../../src/scenario/load.js';
import { runScenario } from '../../src/runner/run-scenario.js';

/**
 * `npm run demo` runs the whole catalog; here a fault of each kind is enough to see
 * every verdict (and keeps the suite fast): a lost answer, a crash, a permanent
 * error and a 429.
 */
const FAULTS = ['none', 'timeout-after-commit', '503-after-commit', 'crash-after-commit', 'permanent-error', '429-retry-after'];
const load = (file: string): Scenario => ({ ...loadScenario(file), faults: FAULTS });

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-demo-'));
afterAll(() => rmSync(reportsDir, { recursive: true, force: true }));

describe('the bundled orders examples', () => {
  it('catches the naive tool charging twice after a timeout after commit', async () => {
    const result = await runScenario(load('scenarios/orders-naive.yaml'), { reportsDir, depth: 1, concurrency: 2 });
    expect(result.failedChecks).toEqual([
      'no-duplicate-effects',
      'replay-commits-nothing',
      'mismatch-commits-nothing',
      'concurrent-commits-once',
      'no-retry-on-permanent',
      'retry-policy',
      'replay-is-noop',
      'key-mismatch-rejected',
      'concurrent-same-key',
      'effect-field',
    ]);
    // Its expect.fail, written before the checks were split, still holds: safe to retry no, contract level 0, not gated.
    expect(result.asExpected).toBe(true);
    expect(result.safety.safe).toBe(false);
    expect(result.contract).toMatchObject({ level: 0, gated: false });
    const timeout = result.cases.find((item) => item.id === 'create-order/timeout-after-commit@payments#1')!;
    const duplicate = timeout.checks.find((check) => check.check === 'no-duplicate-effects')!;
    expect(duplicate.status).toBe('fail');
    expect(duplicate.message).toMatch(/charges on payments POST \/charges \(clean run: 1\)/);
    expect(timeout.faults[0]!.requestId).toBe(1);
    expect(existsSync(path.join(result.runDir, 'report.json'))).toBe(true);
    expect(existsSync(path.join(result.runDir, 'ledger.sqlite'))).toBe(true);
  }, 120_000);

  it('passes the safe tool on every check', async () => {
    const result = await runScenario(load('scenarios/orders-safe.yaml'), { reportsDir, depth: 1, concurrency: 2 });
    expect(result.failedChecks).toEqual([]);
    expect(result.verdict).toBe('pass');
    expect(result.safety.safe).toBe(true);
    expect(result.contract).toMatchObject({ level: 3, gated: true, failedChecks: [] });
    // The mailer can lose an answer after sending: the verdict says so instead of blaming the tool.
    expect(result.cases.some((item) => item.notes.some((note) => note.includes('unsafe by construction')))).toBe(true);
  }, 120_000);
});
