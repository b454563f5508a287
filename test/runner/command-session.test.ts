/**
 * Command targets under the concurrency probe: each racer gets upstream URLs
 * of its own (loopback doors), so every request it sends is attributed to it
 * in the ledger, though two invocations run at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Schedule } from '../../src/core/schedule.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { openRunSession } from '../../src/runner/run-session.js';
import { loadScenario } from '../../src/scenario/load.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-command-session-'));
afterAll(() => rmSync(reportsDir, { recursive: true, force: true }));

describe('command session', () => {
  it('attributes every request of two concurrent invocations to the invocation that sent it', async () => {
    // A tool that forwards the caller's key to a deduplicating payments API: one racer charges, the other is replayed.
    const scenario = loadScenario(path.join(ROOT, 'scenarios/zoo/01-no-key/fixed.yaml'));
    const schedule: Schedule = {
      operation: 'create-order',
      faults: [],
      caller: { retries: 0, key: 'same', replay: false, delayMs: 0, concurrent: 2 },
    };
    const session = await openRunSession(scenario, { reportsDir });
    let runDir: string;
    try {
      const result = await session.runOne({ id: 'racers', schedule }, 'explore');
      expect(result.effects).toBe(1);
      runDir = session.runDir;
    } finally {
      await session.finish();
    }
    const ledger = new Ledger(path.join(runDir, 'ledger.sqlite'), { readonly: true });
    try {
      const rows = ledger.readCase('racers');
      const racers = rows.invocations.filter((invocation) => invocation.role === 'concurrent').map((invocation) => invocation.id);
      expect(racers).toHaveLength(2);
      // Each racer sent its one POST, and each POST is in the ledger under its racer.
      expect(rows.requests.map((request) => request.invocationId).sort()).toEqual([...racers].sort());
      expect(rows.requests.map((request) => request.outcome).sort()).toEqual(['committed', 'replayed']);
    } finally {
      ledger.close();
    }
  }, 60_000);
});
