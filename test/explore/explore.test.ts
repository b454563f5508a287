import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exploreScenario } from '../../src/explore/explore.js';
import { replayCase } from '../../src/explore/replay.js';
import { loadScenario } from '../../src/scenario/load.js';

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-explore-'));
afterAll(() => rmSync(reportsDir, { recursive: true, force: true }));

const buggy = () => loadScenario('test/fixtures/explore/key-per-attempt.yaml');
const fixed = () => loadScenario('test/fixtures/explore/stable-key.yaml');
const verdicts = (file: string): string => JSON.stringify((JSON.parse(readFileSync(file, 'utf8')) as { verdicts: unknown }).verdicts);

/** The 200-run exploration of the buggy tool, shared by the tests that read it. */
let explored: Awaited<ReturnType<typeof exploreScenario>> | undefined;
const exploreBuggy = async () => (explored ??= await exploreScenario(buggy(), { runs: 200, seed: 1, reportsDir, concurrency: 2 }));

describe('retryproof explore', () => {
  it('finds the duplicate a fresh key per attempt causes and shrinks it to one fault', async () => {
    const result = await exploreBuggy();
    const { minimal, firstFailure } = result.explore;
    expect(firstFailure).not.toBeNull();
    expect(minimal).not.toBeNull();
    expect(minimal!.failedChecks).toContain('no-duplicate-effects');
    expect(minimal!.scheduleSize).toBeLessThanOrEqual(2);
    // The shrunk schedule is a fault after commit: the request got through, its answer did not.
    expect(minimal!.schedule.faults.every((binding) => binding.fault.endsWith('after-commit'))).toBe(true);
    expect(result.explore.reproduce).toContain(`--case ${minimal!.caseId}`);
  }, 180_000);

  it('passes the fixed twin', async () => {
    const result = await exploreScenario(fixed(), { runs: 8, seed: 1, reportsDir, concurrency: 2 });
    expect(result.explore.minimal).toBeNull();
    expect(result.explore.executed).toBe(8);
    expect(result.verdict).toBe('pass');
  }, 120_000);

  it('gives the same cases and verdicts for the same seed, run after run, at concurrency 1 and 2', async () => {
    const seen = new Set<string>();
    // 4 runs by default (two at each concurrency); RETRYPROOF_SLOW=1: 10.
    const runs = process.env.RETRYPROOF_SLOW === '1' ? 10 : 4;
    for (let run = 0; run < runs; run += 1) {
      const result = await exploreScenario(fixed(), { runs: 3, seed: 42, reportsDir, concurrency: run % 2 === 0 ? 1 : 2 });
      seen.add(verdicts(path.join(result.runDir, 'report.json')));
    }
    expect(seen.size).toBe(1);
  }, 240_000);

  it('shrinks to the same minimal schedule at concurrency 1 and 2', async () => {
    const two = await exploreBuggy();
    const one = await exploreScenario(buggy(), { runs: 200, seed: 1, reportsDir, concurrency: 1 });
    expect(one.explore.minimal).not.toBeNull();
    expect(one.explore.firstFailure).toEqual(two.explore.firstFailure);
    expect(one.explore.minimal!.schedule).toEqual(two.explore.minimal!.schedule);
    expect(verdicts(path.join(one.runDir, 'report.json'))).toBe(verdicts(path.join(two.runDir, 'report.json')));
  }, 240_000);

  it('a shard runs only its share of the seed, and two shards cover the whole', async () => {
    const first = await exploreScenario(fixed(), { runs: 6, seed: 5, reportsDir, shard: { index: 1, count: 2 } });
    const second = await exploreScenario(fixed(), { runs: 6, seed: 5, reportsDir, shard: { index: 2, count: 2 } });
    const ids = [...first.cases, ...second.cases].map((item) => item.id).sort();
    expect(ids).toEqual(['explore/0', 'explore/1', 'explore/2', 'explore/3', 'explore/4', 'explore/5']);
    expect(first.cases.map((item) => item.id)).toEqual(['explore/0', 'explore/2', 'explore/4']);
  }, 120_000);
});

describe('retryproof replay', () => {
  it('reproduces the minimal failure exactly: the same checks fail, the same requests and effects', async () => {
    const result = await exploreBuggy();
    const minimal = result.explore.minimal!;
    const replayed = await replayCase({ report: path.join(result.runDir, 'report.json'), caseId: minimal.caseId, reportsDir });
    expect(replayed.replay.recorded).toBe(true);
    expect(replayed.replay.failedChecks).toEqual(minimal.failedChecks);
    expect(replayed.replay.differences).toEqual([]);
    expect(replayed.replay.sameChecks && replayed.replay.sameLedger).toBe(true);
  }, 180_000);

  it('runs a hand-written incident schedule: a reset after the charge committed, then the tool retries', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-schedule-'));
    const file = path.join(dir, 'incident.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'operation: create-order\nfaults:\n  - { upstream: payments, ordinal: 1, fault: reset-after-commit }\ncaller: { retries: 0 }\n');
    try {
      const result = await replayCase({ scheduleFile: file, scenarioFile: 'test/fixtures/explore/key-per-attempt.yaml', reportsDir });
      expect(result.failedChecks).toEqual(['no-duplicate-effects']);
      expect(result.cases[0]!.outcomeText).toMatch(/^2 charges committed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('retryproof merge', () => {
  it('combines shards into one report with every case and the earliest failure', async () => {
    const { mergeExploreReports } = await import('../../src/explore/merge.js');
    const { Ledger } = await import('../../src/ledger/ledger.js');
    const one = await exploreScenario(fixed(), { runs: 4, seed: 9, reportsDir, shard: { index: 1, count: 2 } });
    const two = await exploreScenario(fixed(), { runs: 4, seed: 9, reportsDir, shard: { index: 2, count: 2 } });
    const out = path.join(reportsDir, 'merged');
    const merged = mergeExploreReports([one.runDir, two.runDir], out);
    expect(merged.cases.map((item) => item.id)).toEqual(['explore/0', 'explore/1', 'explore/2', 'explore/3']);
    expect(merged.explore.executed).toBe(4);
    const ledger = new Ledger(path.join(out, 'ledger.sqlite'), { readonly: true });
    try {
      expect(ledger.readCase('explore/1').invocations.length).toBeGreaterThan(0);
      expect(ledger.readCase('explore/2').invocations.length).toBeGreaterThan(0);
    } finally {
      ledger.close();
    }
  }, 120_000);
});

describe('retryproof explore, a failure that depends on timing', () => {
  it('reports a failure that does not come back when run again as found, unshrunk, and says it depends on timing', async () => {
    // A tool that is right every time but one: its third invocation in the whole run (a counter in a file) charges twice.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-once-flaky-'));
    writeFileSync(
      path.join(dir, 'once-flaky.mjs'),
      `import { readFileSync, writeFileSync } from 'node:fs';
const [, , amount, key] = process.argv;
const counter = process.env.COUNTER_FILE;
let n = 0;
try { n = Number(readFileSync(counter, 'utf8')); } catch {}
writeFileSync(counter, String(n + 1));
const charge = (k) => fetch(process.env.PAYMENTS_URL + '/charges', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': k }, body: JSON.stringify({ amount: Number(amount) }) });
const response = await charge(key);
if (n + 1 === 3) await charge(key + '-again');
const body = await response.json();
console.log(JSON.stringify({ effect: response.headers.get('idempotent-replayed') === 'true' ? 'noop' : 'created', id: body.id }));
`,
    );
    const file = path.join(dir, 'once-flaky.yaml');
    writeFileSync(
      file,
      [
        'name: once-flaky',
        'target:',
        '  kind: command',
        '  argv: [node, once-flaky.mjs]',
        `  env: { PAYMENTS_URL: "{{upstreams.payments.url}}", COUNTER_FILE: ${JSON.stringify(path.join(dir, 'count'))} }`,
        'upstreams:',
        '  payments: { model: resource, path: /charges, honoursIdempotencyKey: true, noun: charge }',
        'operations:',
        '  - { name: create-order, args: ["{{input.amount}}", "{{key}}"], input: { amount: 100 } }',
        'faults: [none]',
        'exitCodes: { success: 0, failure: [1, 75] }',
        'probes: { concurrent: false, mismatch: false, dryRun: false, persistent: false }',
        'checks: [no-duplicate-effects]',
        'explore: { maxFaults: 1, maxOrdinal: 2, maxRetries: 0 }',
      ].join('\n'),
    );
    try {
      const result = await exploreScenario(loadScenario(file), { runs: 10, seed: 3, reportsDir, concurrency: 1 });
      const { minimal, firstFailure } = result.explore;
      expect(firstFailure).not.toBeNull();
      expect(minimal).toMatchObject({ caseId: firstFailure!.caseId, reproduced: false, shrinks: 0, failedChecks: ['no-duplicate-effects'] });
      expect(result.verdict).toBe('fail');
      expect(result.cases.find((item) => item.id === firstFailure!.caseId)!.effects).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
