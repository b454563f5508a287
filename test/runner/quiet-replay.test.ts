/**
 * A replay-commits-nothing failure of an HTTP API is checked again with the
 * replay sent after the API had gone quiet (src/runner/quiet-replay.ts): an
 * earlier answer's late work (an audit record ~30 ms after it) that fell into
 * a replay sent at once is cleared; a replay that really charges is confirmed.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { CheckResult } from '../../src/core/check-result.js';
import type { CaseResult } from '../../src/core/result.js';
import { confirmReplayFailure } from '../../src/runner/quiet-replay.js';
import { openRunSession } from '../../src/runner/run-session.js';
import { loadScenario } from '../../src/scenario/load.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-quiet-replay-'));
cpSync(path.resolve(__dirname, '../fixtures/overlap'), dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failedReplay: CheckResult = { check: 'replay-commits-nothing', status: 'fail', message: 'create-order: the replay (invocation 2) committed 1 effect' };
const other: CheckResult = { check: 'no-duplicate-effects', status: 'pass', message: 'create-order: no more effects than the clean run' };

describe('confirmReplayFailure', () => {
  it('runs nothing again when the replay check did not fail', async () => {
    let reruns = 0;
    const checks = [other, { ...failedReplay, status: 'pass' as const }];
    expect(await confirmReplayFailure('c', checks, async () => (reruns++, []), () => undefined)).toEqual(checks);
    expect(reruns).toBe(0);
  });

  it('keeps a failure that comes back with a quiet replay, and clears one that does not', async () => {
    const amended: CheckResult[] = [];
    const confirmed = await confirmReplayFailure('c', [other, failedReplay], async (id) => (expect(id).toBe('c/quiet-replay'), [failedReplay]), (check) => amended.push(check));
    expect(confirmed[1]).toMatchObject({ status: 'fail', message: `${failedReplay.message} (confirmed: it failed again when the case ran again as c/quiet-replay, the replay sent after the API had gone quiet)` });
    const cleared = await confirmReplayFailure('c', [other, failedReplay], async () => [{ check: 'replay-commits-nothing', status: 'pass', message: 'create-order: the replay committed nothing' }], (check) => amended.push(check));
    expect(cleared[0]).toBe(other);
    expect(cleared[1]!.status).toBe('pass');
    expect(cleared[1]!.message).toContain("in the first run the commit during the replay was the earlier invocation's work after its answer: create-order: the replay (invocation 2) committed 1 effect");
    expect(amended.map((check) => check.status)).toEqual(['fail', 'pass']);
  });
});

function scenario(name: string, env: Record<string, string>) {
  const spec = YAML.parse(readFileSync(path.join(dir, 'audit-api.yaml'), 'utf8'));
  spec.name = name;
  Object.assign(spec.target.start.env, { FORWARD_KEY: '1', REPLAY_DELAY_MS: '300', ...env });
  spec.caller = { retries: 0, key: 'same', replay: true };
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, YAML.stringify(spec));
  return loadScenario(file);
}

async function run(name: string, env: Record<string, string>): Promise<CaseResult[]> {
  const session = await openRunSession(scenario(name, env), { reportsDir: dir });
  try {
    const planned = [1, 2, 3, 4].map((n) => ({ id: `c${n}`, schedule: { operation: 'create-order', faults: [], caller: { retries: 0, key: 'same' as const, replay: true, delayMs: 0 } } }));
    return (await session.runCases(planned, 'explore')).filter((c): c is CaseResult => c !== undefined);
  } finally {
    await session.finish();
  }
}

const replayCheck = (result: CaseResult) => result.checks.find((check) => check.check === 'replay-commits-nothing')!;

describe('an HTTP API whose audit record lands while the replay runs', () => {
  it('is cleared: with the replay sent after the API had gone quiet, the replay commits nothing', async () => {
    const cases = await run('quiet-replay-audit', {});
    for (const result of cases) expect(replayCheck(result).status, replayCheck(result).message).toBe('pass');
    // The audit record comes ~30 ms after the first answer, the replay takes 300 ms: it falls into the replay sent at once.
    expect(cases.filter((result) => replayCheck(result).message.includes('/quiet-replay')).length).toBeGreaterThan(0);
  }, 120_000);

  it('a replay that charges again is still caught, and confirmed', async () => {
    const cases = await run('quiet-replay-charges', { REPLAY_CHARGES: '1' });
    for (const result of cases) {
      expect(replayCheck(result).status).toBe('fail');
      expect(replayCheck(result).message).toContain('(confirmed: it failed again when the case ran again as');
    }
  }, 120_000);
});
