import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exploreScenario, stopsExploration } from '../../src/explore/explore.js';
import type { CaseResult } from '../../src/core/result.js';
import type { CheckName } from '../../src/core/check-names.js';
import { runOnLanes } from '../../src/runner/pool.js';
import { replayCase } from '../../src/explore/replay.js';
import { runScenario } from '../../src/runner/run-scenario.js';
import { loadScenario } from '../../src/scenario/load.js';
import YAML from 'yaml';

const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-explore-'));
afterAll(() => rmSync(reportsDir, { recursive: true, force: true }));

const buggy = () => loadScenario('test/fixtures/explore/key-per-attempt.yaml');
const fixed = () => loadScenario('test/fixtures/explore/stable-key.yaml');
const verdicts = (file: string): string => JSON.stringify((JSON.parse(readFileSync(file, 'utf8')) as { verdicts: unknown }).verdicts);
/** Where two reports' verdicts part (the first case that differs, both sides), for a failure message CI's log can show. */
function whereVerdictsDiffer(fileA: string, fileB: string): string {
  type Section = { cases: Array<{ id: string }> } & Record<string, unknown>;
  const [a, b] = [fileA, fileB].map((file) => (JSON.parse(readFileSync(file, 'utf8')) as { verdicts: Section }).verdicts) as [Section, Section];
  for (let i = 0; i < Math.max(a.cases.length, b.cases.length); i += 1) {
    const [x, y] = [JSON.stringify(a.cases[i]), JSON.stringify(b.cases[i])];
    if (x !== y) return `case ${i + 1} differs:\n  ${x}\n  ${y}`;
  }
  const { cases: _a, ...restA } = a;
  const { cases: _b, ...restB } = b;
  return `summaries differ:\n  ${JSON.stringify(restA)}\n  ${JSON.stringify(restB)}`;
}

/** The 200-run exploration of the buggy tool, shared by the tests that read it. */
let explored: Awaited<ReturnType<typeof exploreScenario>> | undefined;
const exploreBuggy = async () => (explored ??= await exploreScenario(buggy(), { runs: 200, seed: 1, reportsDir, concurrency: 2, maxFailures: 1 }));
/** A scenario file written next to the fixtures' tool, from key-per-attempt.yaml with `change` applied. */
function variant(name: string, change: (scenario: Record<string, unknown>) => void): ReturnType<typeof loadScenario> {
  const scenario = YAML.parse(readFileSync('test/fixtures/explore/key-per-attempt.yaml', 'utf8')) as Record<string, unknown>;
  scenario.name = name;
  change(scenario);
  const file = path.join('test/fixtures/explore', `.${name}.yaml`);
  writeFileSync(file, YAML.stringify(scenario));
  try {
    return loadScenario(file);
  } finally {
    rmSync(file, { force: true });
  }
}

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
    const files: string[] = [];
    // 4 runs by default (two at each concurrency); RETRYPROOF_SLOW=1: 10.
    const runs = process.env.RETRYPROOF_SLOW === '1' ? 10 : 4;
    for (let run = 0; run < runs; run += 1) {
      const result = await exploreScenario(fixed(), { runs: 3, seed: 42, reportsDir, concurrency: run % 2 === 0 ? 1 : 2 });
      files.push(path.join(result.runDir, 'report.json'));
    }
    for (const file of files.slice(1)) expect(verdicts(file) === verdicts(files[0]!), whereVerdictsDiffer(files[0]!, file)).toBe(true);
  }, 240_000);

  it('shrinks to the same minimal schedule at concurrency 1 and 2', async () => {
    const two = await exploreBuggy();
    const one = await exploreScenario(buggy(), { runs: 200, seed: 1, reportsDir, concurrency: 1, maxFailures: 1 });
    expect(one.explore.minimal).not.toBeNull();
    expect(one.explore.firstFailure).toEqual(two.explore.firstFailure);
    expect(one.explore.minimal!.schedule).toEqual(two.explore.minimal!.schedule);
    const [fileOne, fileTwo] = [path.join(one.runDir, 'report.json'), path.join(two.runDir, 'report.json')];
    expect(verdicts(fileOne) === verdicts(fileTwo), whereVerdictsDiffer(fileOne, fileTwo)).toBe(true);
  }, 240_000);

  it('reports every distinct failure, each shrunk: a duplicate and a contract failure in one target (issue 12)', async () => {
    const twoBugs = variant('two-bugs', (scenario) => {
      (scenario.target as { env: Record<string, string> }).env.SAYS_CREATED = '1';
    });
    const result = await exploreScenario(twoBugs, { runs: 40, seed: 1, reportsDir, concurrency: 2 });
    const byCheck = new Map(result.explore.failures.flatMap((failure) => failure.checks.map((check) => [check, failure] as const)));
    // The contract failure is found first (any replay shows it), and the duplicate is not hidden behind it.
    const contract = byCheck.get('replay-is-noop');
    const duplicate = byCheck.get('no-duplicate-effects');
    expect(contract, JSON.stringify(result.explore.failures.map((f) => f.checks))).toBeDefined();
    expect(duplicate, JSON.stringify(result.explore.failures.map((f) => f.checks))).toBeDefined();
    expect(contract).not.toBe(duplicate);
    expect(contract!.minimal.scheduleSize).toBe(0);
    expect(contract!.minimal.schedule.caller.replay).toBe(true);
    expect(duplicate!.minimal.scheduleSize).toBe(1);
    expect(duplicate!.minimal.reproduced).toBe(true);
    expect(result.explore.executed).toBe(40);
    for (const failure of result.explore.failures) expect(failure.reproduce).toContain(`--case ${failure.minimal.caseId}`);
    // It prints "effect", so the contract gates this run too; safety fails on the duplicate alone.
    expect(result.safety.failedChecks).toContain('no-duplicate-effects');
    expect(result.contract.failedChecks).toContain('replay-is-noop');
    expect(result.contract.gated).toBe(true);
  }, 240_000);

  it('draws only what the scenario\'s caller does: no retry and no replay when it says retries: 0, replay: false (issue 12)', async () => {
    const quiet = variant('no-retry-no-replay', (scenario) => {
      scenario.caller = { retries: 0, replay: false };
      scenario.explore = { maxFaults: 3, maxOrdinal: 4 };
    });
    const result = await exploreScenario(quiet, { runs: 30, seed: 3, reportsDir, concurrency: 2 });
    const drawn = result.cases.filter((item) => item.kind === 'explore').map((item) => item.schedule.caller);
    expect(drawn.length).toBeGreaterThanOrEqual(30);
    expect(drawn.every((caller) => caller.retries === 0 && !caller.replay)).toBe(true);
  }, 240_000);

  it('gives the same conformance level as run, from the same reference cases (issue 12)', async () => {
    const scenario = fixed();
    const explored = await exploreScenario(scenario, { runs: 3, seed: 9, reportsDir, concurrency: 2 });
    const ran = await runScenario(scenario, { reportsDir, concurrency: 2, depth: 1 });
    expect(explored.contract.level).toBe(ran.contract.level);
    expect(explored.contract.reasons).toEqual(ran.contract.reasons);
    expect(explored.cases.some((item) => item.id === 'create-order/none')).toBe(true);
  }, 240_000);

  it('a shard runs only its share of the seed, and two shards cover the whole', async () => {
    const first = await exploreScenario(fixed(), { runs: 6, seed: 5, reportsDir, shard: { index: 1, count: 2 } });
    const second = await exploreScenario(fixed(), { runs: 6, seed: 5, reportsDir, shard: { index: 2, count: 2 } });
    const random = (result: typeof first) => result.cases.filter((item) => item.kind === 'explore').map((item) => item.id);
    expect([...random(first), ...random(second)].sort()).toEqual(['explore/1', 'explore/2', 'explore/3', 'explore/4', 'explore/5', 'explore/6']);
    expect(random(first)).toEqual(['explore/1', 'explore/3', 'explore/5']);
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
    expect(merged.cases.filter((item) => item.kind === 'explore').map((item) => item.id)).toEqual(['explore/1', 'explore/2', 'explore/3', 'explore/4']);
    // Both shards ran the same reference cases: the merged report keeps one of each.
    expect(merged.cases.filter((item) => item.id === 'create-order/none')).toHaveLength(1);
    expect(merged.explore.executed).toBe(4);
    const ledger = new Ledger(path.join(out, 'ledger.sqlite'), { readonly: true });
    try {
      expect(ledger.readCase('explore/2').invocations.length).toBeGreaterThan(0);
      expect(ledger.readCase('explore/3').invocations.length).toBeGreaterThan(0);
    } finally {
      ledger.close();
    }
  }, 120_000);
});

describe('retryproof explore, a failure that depends on timing', () => {
  it('reports a failure that does not come back when run again as found, unshrunk, and says it depends on timing', async () => {
    // A tool that is right every time but one: its fifth invocation in the whole run (a counter in a file) charges twice:
    // the clean run and the reference case come first, so it is the third random case.
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
if (n + 1 === 5) await charge(key + '-again');
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
        'caller: { retries: 0, replay: false }',
        'explore: { maxFaults: 1, maxOrdinal: 2 }',
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

describe('stopsExploration (maxFailures)', () => {
  const result = (id: string, failed: CheckName[]): CaseResult =>
    ({ id, checks: failed.map((check) => ({ check, status: 'fail', message: '' })) }) as unknown as CaseResult;

  it('stops only after a case that breaks a check looked for', () => {
    const found = new Set<CheckName>(['no-lost-effects']);
    expect(stopsExploration(result('explore/22', ['no-lost-effects']), found, { maxFailures: 1 })).toBe(true);
    expect(stopsExploration(result('explore/21', []), found, { maxFailures: 1 })).toBe(false);
    expect(stopsExploration(result('explore/22', ['effect-field']), found, { maxFailures: 1, checks: ['no-lost-effects'] })).toBe(false);
    expect(stopsExploration(result('explore/22', ['no-lost-effects']), found, {})).toBe(false);
  });

  it('keeps a failure a faster lane found while the other lane was still on an earlier case (bug zoo 26)', async () => {
    // Lane a takes case 0 (slow, passes); lane b takes case 1 (quick, fails) and finds the failure first.
    const found = new Set<CheckName>();
    const tasks = [{ ms: 60, failed: [] as CheckName[] }, { ms: 5, failed: ['no-lost-effects' as CheckName] }];
    const results = await runOnLanes(
      ['a', 'b'],
      tasks,
      async (_lane, task, index) => {
        await new Promise((resolve) => setTimeout(resolve, task.ms));
        const done = result(`explore/${index}`, task.failed);
        for (const check of task.failed) found.add(check);
        return done;
      },
      (done) => stopsExploration(done, found, { maxFailures: 1 }),
    );
    expect(results.map((done) => done?.id)).toEqual(['explore/0', 'explore/1']);
  });
});
