/**
 * DESIGN.md, "Promises of the harness itself": same scenario, same seed: same
 * schedules, same verdicts. report.json has a top-level `verdicts` section
 * (schedules, outcomes, verdicts and check messages, without timings, run ids
 * or paths) that must be byte-identical across runs.
 *
 * 20 whole runScenario passes over a tiny Node target (tiny-target.mjs in
 * safe mode against an upstream that does not deduplicate: the clean case
 * passes, the 503-after-commit case duplicates, so verdicts and messages of
 * both kinds are compared), four at a time, alternating one and two lanes;
 * and two explore passes with one seed. The `verdicts` of every
 * report.json are compared byte for byte with the first.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { exploreScenario } from '../../src/explore/explore.js';
import { runScenario } from '../../src/runner/run-scenario.js';
import { loadScenario } from '../../src/scenario/load.js';
import { HOSTILE } from './helpers.js';

/** 8 by default; the slow tier (RETRYPROOF_SLOW=1) runs the 20 the README's promise was measured with. */
const REPETITIONS = process.env.RETRYPROOF_SLOW === '1' ? 20 : 8;
/** Repetitions run at once (each in its own reports folder). */
const AT_ONCE = 4;
const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-determinism-'));
const reportsDir = path.join(dir, 'reports');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenarioFile(name: string, honoursIdempotencyKey: boolean): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    YAML.stringify({
      name,
      target: {
        kind: 'command',
        argv: [process.execPath, path.join(HOSTILE, 'tiny-target.mjs')],
        // A client timeout far above anything a loaded machine needs: verdicts must not depend on load.
        env: { UPSTREAM_URL: '{{upstreams.payments.url}}', STATE_DIR: '{{case.dir}}/state', REQUEST_TIMEOUT_MS: '10000' },
        timeoutMs: 15_000,
      },
      upstreams: { payments: { model: 'resource', path: '/charges', honoursIdempotencyKey, noun: 'charge' } },
      operations: [{ name: 'charge', args: ['safe', '--key', '{{key}}', '--amount', '{{input.amount}}'], input: { amount: 5 } }],
      caller: { retries: 1, key: 'same', replay: false },
      faults: ['none', '503-after-commit'],
      depth: 1,
      checks: ['no-duplicate-effects', 'no-lost-effects', 'replay-is-noop', 'exit-codes', 'effect-field'],
      probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false },
      explore: { maxFaults: 2, maxOrdinal: 2, maxRetries: 1 },
    }),
  );
  return file;
}

/** The `verdicts` section of a run's report.json, as the bytes JSON.stringify gives for it. */
function verdictsOf(runDir: string): string {
  const report = JSON.parse(readFileSync(path.join(runDir, 'report.json'), 'utf8')) as { verdicts?: unknown };
  expect(report.verdicts, 'report.json has a top-level verdicts section').toBeDefined();
  // Two empty sections would be identical too: the section must hold the cases' verdicts.
  expect((report.verdicts as { cases?: unknown[] }).cases?.length ?? 0, 'cases in the verdicts section').toBeGreaterThan(0);
  return JSON.stringify(report.verdicts, null, 2);
}

describe('same scenario, same seed: byte-identical verdicts', () => {
  it(`runScenario ${REPETITIONS} times (one and two lanes): the same verdicts section`, { timeout: 150_000 }, async () => {
    const scenario = loadScenario(scenarioFile('determinism-run', false));
    const sections: string[] = new Array(REPETITIONS);
    for (let i = 0; i < REPETITIONS; i += AT_ONCE) {
      await Promise.all(
        Array.from({ length: Math.min(AT_ONCE, REPETITIONS - i) }, async (_, j) => {
          const rep = i + j;
          // Each repetition its own reports folder: run ids are per millisecond and process.
          const result = await runScenario(scenario, { reportsDir: path.join(reportsDir, `run-${rep}`), concurrency: 1 + (rep % 2) });
          sections[rep] = verdictsOf(result.runDir);
        }),
      );
    }
    const first = sections[0]!;
    // The case set is what this test means it to be: a passing and a failing verdict.
    const parsed = JSON.parse(first) as { cases: Array<{ id: string; verdict: string }> };
    expect(parsed.cases.map((item) => [item.id, item.verdict])).toEqual([
      ['charge/none', 'pass'],
      ['charge/503-after-commit@payments#1', 'fail'],
    ]);
    const differing = sections.map((section, i) => (section === first ? -1 : i)).filter((i) => i >= 0);
    if (differing.length) expect(sections[differing[0]!], `repetition ${differing[0]} (of ${differing.length} differing) vs the first`).toBe(first);
    expect(differing).toEqual([]);
  });

  it('exploreScenario with one seed, twice: the same schedules and verdicts', { timeout: 90_000 }, async () => {
    const scenario = loadScenario(scenarioFile('determinism-explore', true));
    // Failures of exit-codes only are looked for (none is expected): no shrinking, a short run; every check is still judged.
    const sections = await Promise.all(
      [0, 1].map(async (rep) => {
        const result = await exploreScenario(scenario, { runs: 4, seed: 4242, checks: ['exit-codes'], reportsDir: path.join(reportsDir, `explore-${rep}`) });
        return verdictsOf(result.runDir);
      }),
    );
    expect(JSON.parse(sections[0]!).cases.length).toBeGreaterThan(0);
    expect(sections[1]).toBe(sections[0]);
  });
});
