// The bug zoo's manifest (scenarios/zoo/zoo.json) and what every entry must be; the entries themselves run in the other zoo-*.test.ts files.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Schedule } from '../../src/core/schedule.js';
import { openRunSession } from '../../src/runner/run-session.js';
import { loadScenario } from '../../src/scenario/load.js';
import { zoo, ZOO_SHARES } from './zoo-suite.js';

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-zoo-'));
afterAll(() => rmSync(reportsDir, { recursive: true, force: true }));

describe('the bug zoo', () => {
  it('has at least 14 entries, in JavaScript and in Python, each with a buggy target and a fixed twin', () => {
    expect(zoo.entries.length).toBeGreaterThanOrEqual(14);
    expect(zoo.entries.filter((entry) => entry.language === 'JavaScript').length).toBeGreaterThanOrEqual(3);
    expect(zoo.entries.filter((entry) => entry.language === 'Python').length).toBeGreaterThanOrEqual(3);
    for (const entry of zoo.entries) {
      const buggy = loadScenario(entry.buggy);
      const fixed = loadScenario(entry.fixed);
      expect(buggy.expect.fail.length, `${entry.id}: a buggy entry declares what it fails`).toBeGreaterThan(0);
      expect(fixed.expect.fail, `${entry.id}: the twin expects nothing to fail`).toEqual([]);
      // The twin differs in its target only: same upstreams, operations, caller, faults, probes and contract.
      const { name: _a, description: _b, target: _c, expect: _d, file: _e, ...buggyRest } = buggy;
      const { name: _f, description: _g, target: _h, expect: _i, file: _j, ...fixedRest } = fixed;
      expect(fixedRest, `${entry.id}: buggy.yaml and fixed.yaml differ only in the target`).toEqual(buggyRest);
    }
  });

  it('runs every entry in exactly one zoo-*.test.ts file', () => {
    const shared = Object.values(ZOO_SHARES).flat();
    expect([...shared].sort()).toEqual(zoo.entries.map((entry) => entry.id.slice(0, 2)).sort());
  });

  // Regression: concurrent-same-key used to blame a racer whose own request was faulted for answering
  // "unknown" (found by this zoo; fixed in src/checks/concurrent-same-key.ts, the `answersLost` excuse).
  it('does not blame a correct racer whose own request was faulted (two concurrent runs, a 503 after commit)', async () => {
    // 01's twin sends the caller's key to a deduplicating payments service; the first request is answered 503
    // after it committed, so that racer can only say "unknown"; the other is answered from the key store.
    const scenario = loadScenario(zoo.entries.find((entry) => entry.id === '01-no-key')!.fixed);
    const schedule: Schedule = {
      operation: 'create-order',
      faults: [{ upstream: 'payments', ordinal: 1, fault: '503-after-commit' }],
      caller: { retries: 0, key: 'same', replay: false, delayMs: 0, concurrent: 2 },
    };
    const session = await openRunSession(scenario, { reportsDir });
    try {
      const result = await session.runOne({ id: 'faulted-racer', schedule }, 'explore');
      expect(result.effects).toBe(1);
      expect(result.checks.filter((check) => check.status === 'fail').map((check) => `${check.check}: ${check.message}`)).toEqual([]);
    } finally {
      await session.finish();
    }
  }, 60_000);
});
