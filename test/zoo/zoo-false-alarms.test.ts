// Bug zoo entries 23-26 (issue 13, classes 4-7): each twin is a correct target the harness used to blame (a false
// alarm), each buggy target has the real bug the blamed check exists to catch. Below the entries, each twin runs the
// very schedule of its class, so the regression is pinned even where only exploration draws it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/core/check-result.js';
import type { Schedule } from '../../src/core/schedule.js';
import type { CaseRows } from '../../src/ledger/rows.js';
import { openRunSession } from '../../src/runner/run-session.js';
import { loadScenario } from '../../src/scenario/load.js';
import { describeZooEntries, zoo, ZOO_SHARES } from './zoo-suite.js';

describe('the bug zoo: false alarms of issue 13', () => describeZooEntries(ZOO_SHARES.falseAlarms));

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-zoo-'));
afterAll(() => rmSync(reportsDir, { recursive: true, force: true }));

const twin = (prefix: string) => loadScenario(zoo.entries.find((entry) => entry.id.startsWith(prefix))!.fixed);
const caller = (overrides: Partial<Schedule['caller']> = {}): Schedule['caller'] => ({ retries: 0, key: 'same', replay: false, delayMs: 0, ...overrides });

/** Runs each schedule once on the twin of entry `prefix`: its checks and its ledger rows. */
async function runTwin(prefix: string, schedules: Record<string, Schedule>): Promise<Record<string, { checks: CheckResult[]; rows: CaseRows }>> {
  const session = await openRunSession(twin(prefix), { reportsDir });
  try {
    const results: Record<string, { checks: CheckResult[]; rows: CaseRows }> = {};
    for (const [id, schedule] of Object.entries(schedules)) {
      const result = await session.runOne({ id, schedule }, 'explore');
      results[id] = { checks: result.checks, rows: session.ledger.readCase(id) };
    }
    return results;
  } finally {
    await session.finish();
  }
}
const failures = (checks: CheckResult[]): string[] => checks.filter((check) => check.status === 'fail').map((check) => `${check.check}: ${check.message}`);
const check = (checks: CheckResult[], name: string): CheckResult => checks.find((item) => item.check === name)!;

describe('the schedules of issue 13\'s false alarms, on the twins', () => {
  it('class 4 (23): the retries get the stored 502 back, replayed, and exit-codes takes it for no noop', async () => {
    const { replays } = await runTwin('23', {
      replays: { operation: 'create-order', faults: [{ upstream: 'payments', ordinal: 1, fault: '503-before-commit' }], caller: caller({ retries: 2 }) },
    });
    const answers = replays!.rows.invocations.map((invocation) => [invocation.httpStatus, invocation.responseHeaders?.['idempotent-replayed'] ?? null, invocation.effect]);
    expect(answers).toEqual([
      [502, null, null],
      [502, 'true', null],
      [502, 'true', null],
    ]);
    expect(failures(replays!.checks)).toEqual([]);
    expect(check(replays!.checks, 'exit-codes').status).not.toBe('fail');
  }, 120_000);

  it('class 5 (24): one racer gets a 503 from payments and answers 502, the other is told 409; nobody won and neither is blamed', async () => {
    // The 503 waits as long as the probe's race window, so the second racer arrives while the first is in flight.
    const slow503 = { upstream: 'payments', ordinal: 1, fault: '503-before-commit', params: { delayBeforeCommitMs: 150 } };
    const { race } = await runTwin('24', { race: { operation: 'create-order', faults: [slow503], caller: caller({ concurrent: 2 }) } });
    expect(race!.rows.invocations.map((invocation) => invocation.httpStatus).sort()).toEqual([409, 502]);
    expect(race!.rows.effects).toEqual([]);
    expect(failures(race!.checks)).toEqual([]);
    expect(check(race!.checks, 'concurrent-same-key').message).toContain('answered consistently (none succeeded)');
  }, 120_000);

  it('class 6 (25): a crash on the mismatch\'s request after payments refused it is not judged, and the report says what happened', async () => {
    const { mismatch } = await runTwin('25', {
      mismatch: { operation: 'create-order', faults: [{ upstream: 'payments', ordinal: 2, fault: 'crash-after-commit' }], caller: caller({ mismatch: true }) },
    });
    const request = mismatch!.rows.requests.find((row) => row.ordinal === 2)!;
    expect(request).toMatchObject({ fault: 'crash-after-commit', committed: false, outcome: 'rejected', upstreamStatus: 422, delivery: 'crashed' });
    expect(failures(mismatch!.checks)).toEqual([]);
    const judged = check(mismatch!.checks, 'key-mismatch-rejected');
    expect(judged.status).toBe('skip');
    expect(judged.message).toContain(`crash-after-commit on request ${request.id}: payments refused it (422), nothing committed; the target was killed before the answer reached it`);
  }, 120_000);

  it('class 7 (26): killed between the charge and its audit record and never run again (or run again and stopped again) is a warning, not a loss', async () => {
    const crash = (ordinal: number) => ({ upstream: 'payments', ordinal, fault: 'crash-after-commit' });
    const results = await runTwin('26', {
      once: { operation: 'create-order', faults: [crash(1)], caller: caller() },
      // Found by this twin's exploration: the retry got the charge back from payments' key store and was killed too.
      twice: { operation: 'create-order', faults: [crash(1), crash(2)], caller: caller({ retries: 1 }) },
      // ...or was refused by the audit log; or a crash killed both racers.
      refused: { operation: 'create-order', faults: [crash(1), { upstream: 'audit', ordinal: 1, fault: '503-before-commit' }], caller: caller({ retries: 1 }) },
      racing: { operation: 'create-order', faults: [crash(1)], caller: caller({ concurrent: 2 }) },
    });
    for (const [id, { checks }] of Object.entries(results)) expect(failures(checks), id).toEqual([]);
    // (The racers' case is timing: the other racer may have got the charge back and written the record before the kill.)
    for (const id of ['once', 'twice', 'refused']) {
      expect(check(results[id]!.checks, 'no-lost-effects').status, id).toBe('warn');
      expect(results[id]!.rows.effects.map((effect) => effect.upstream), id).toEqual(['payments']);
    }
    expect(check(results.once!.checks, 'no-lost-effects').message).toContain('no later invocation had the chance to finish them: invocation 1 was the last to run');
    expect(check(results.twice!.checks, 'no-lost-effects').message).toContain('invocation 2 was killed by a crash fault');
    expect(check(results.refused!.checks, 'no-lost-effects').message).toMatch(/invocation 2 got 503-before-commit on request \d/);
  }, 180_000);
});
