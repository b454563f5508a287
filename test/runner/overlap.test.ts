/**
 * Settle windows that overlap the next case (src/runner/overlap.ts), end to
 * end with an HTTP API that lives from case to case and writes an audit record
 * ~30 ms after each answer (test/fixtures/overlap/audit-api.mjs).
 *
 * With the caller's key forwarded upstream, every case hands over (the next
 * begins while its window is open), each late audit record is counted in its
 * own case, and the API passes; the same API charging again after a replay's
 * answer is caught. Without a key upstream, the first pair of overlapping
 * cases conflicts, both run again on their own, the lane stops overlapping,
 * and every verdict is the one a run without overlap gives.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { runScenario } from '../../src/runner/run-scenario.js';
import { openRunSession } from '../../src/runner/run-session.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { CaseResult } from '../../src/core/result.js';

const FIXTURE = path.resolve(__dirname, '../fixtures/overlap');
const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-overlap-'));
cpSync(FIXTURE, dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The fixture scenario with its API's switches set. */
function scenario(name: string, env: { FORWARD_KEY: '0' | '1'; LATE_CHARGE?: '0' | '1' }, extra: Record<string, unknown> = {}) {
  const spec = YAML.parse(readFileSync(path.join(dir, 'audit-api.yaml'), 'utf8'));
  spec.name = name;
  Object.assign(spec.target.start.env, env);
  Object.assign(spec, extra);
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, YAML.stringify(spec));
  return loadScenario(file);
}

const failed = (cases: readonly CaseResult[]) => cases.filter((result) => result.verdict === 'fail').map((result) => `${result.id}: ${result.checks.filter((check) => check.status === 'fail').map((check) => check.check).join(', ')}`);
const rerunNotes = (cases: readonly CaseResult[]) => cases.filter((result) => result.notes.some((note) => note.startsWith('run again on its own')));

describe('settle windows overlapping the next case', () => {
  it('a key-forwarding API: every case hands over, each late audit record is its own case\'s, and it passes', async () => {
    const session = await openRunSession(scenario('overlap-keyed', { FORWARD_KEY: '1' }), { reportsDir: dir });
    try {
      const schedule = (n: number) => ({ id: `c${n}`, schedule: { operation: 'create-order', faults: [], caller: { retries: 0, key: 'same' as const, replay: false, delayMs: 0 } } });
      const cases = (await session.runCases([1, 2, 3, 4, 5, 6].map(schedule), 'explore')).filter((c): c is CaseResult => c !== undefined);
      expect(failed(cases)).toEqual([]);
      expect(rerunNotes(cases)).toEqual([]);
      // One charge and one audit record each, the audit record ~30 ms after the answer: counted in its case, not the next.
      for (const result of cases) expect(result.requestsTo).toEqual({ payments: 1, audit: 1 });
      expect(session.settleOverlap()).toEqual({ lanes: 1, handedOver: 6, stopped: 0 });
    } finally {
      await session.finish();
    }
  }, 60_000);

  it('the systematic pass: the key-forwarding API passes, and one that charges again after a replay\'s answer is caught in each case', async () => {
    const safe = await runScenario(scenario('overlap-keyed-run', { FORWARD_KEY: '1' }), { reportsDir: dir });
    // The one failure is the API's own: under an audit outage its record, sent after a successful answer, is lost.
    expect(failed(safe.cases)).toEqual(['create-order/503-before-commit@audit#1+: no-lost-effects']);
    expect(rerunNotes(safe.cases)).toEqual([]);
    const buggy = await runScenario(scenario('overlap-late-charge', { FORWARD_KEY: '1', LATE_CHARGE: '1' }, { caller: { retries: 2, key: 'same', replay: true } }), { reportsDir: dir });
    // Every replay is charged again ~30 ms after its answer, often while the next case runs: each case has its own second charge.
    const replayed = buggy.cases.filter((result) => result.outcomeText.includes('ended in success'));
    expect(replayed.length).toBeGreaterThan(3);
    for (const result of replayed) {
      expect(result.checks.find((check) => check.check === 'no-duplicate-effects')?.message).toMatch(/2 charges .*\(clean run: 1\)/);
      expect(result.outcomeText).toMatch(/2 charges committed on payments POST \/charges \(clean run: 1\)/);
    }
    expect(rerunNotes(buggy.cases)).toEqual([]);
  }, 180_000);

  it('an API that sends no key upstream: the first overlapping pair runs again on its own, then the lane settles as before', async () => {
    const session = await openRunSession(scenario('overlap-keyless', { FORWARD_KEY: '0' }), { reportsDir: dir });
    try {
      const schedule = (n: number) => ({ id: `c${n}`, schedule: { operation: 'create-order', faults: [], caller: { retries: 0, key: 'same' as const, replay: false, delayMs: 0 } } });
      const cases = (await session.runCases([1, 2, 3, 4, 5].map(schedule), 'explore')).filter((c): c is CaseResult => c !== undefined);
      // Had the late audit record of one case been counted in the next, that one would show 2 and fail no-duplicate-effects.
      expect(failed(cases)).toEqual([]);
      for (const result of cases) expect(result.requestsTo).toEqual({ payments: 1, audit: 1 });
      expect(rerunNotes(cases).map((result) => result.id)).toEqual(['c1', 'c2']);
      expect(rerunNotes(cases)[0]!.notes[0]).toMatch(/a request without an Idempotency-Key came that could have been either case's/);
      expect(session.settleOverlap()).toMatchObject({ lanes: 1, stopped: 1 });
    } finally {
      await session.finish();
    }
  }, 60_000);

  it('a real middleware (express-idempotency 1.0.6) sending the key on: the same verdicts as a fresh process per case, with windows overlapping', async () => {
    const real = (restart: 'never' | 'per-case') => {
      const spec = YAML.parse(readFileSync(path.resolve(__dirname, '../../scenarios/real/express-idempotency-default.yaml'), 'utf8'));
      spec.name = `overlap-express-${restart}`;
      spec.target.start.argv[1] = path.resolve(__dirname, '../../scenarios/real/servers/express-idempotency.cjs');
      spec.target.start.restart = restart;
      spec.target.start.env.FORWARD_KEY = '1';
      spec.target.requireKey = true;
      spec.upstreams.payments.honoursIdempotencyKey = true;
      const file = path.join(dir, `${spec.name}.yaml`);
      writeFileSync(file, YAML.stringify(spec));
      return loadScenario(file);
    };
    const verdicts = (cases: readonly CaseResult[]) => cases.map((result) => `${result.id}: ${result.checks.map((check) => `${check.check} ${check.status}`).join(', ')}`);
    const overlapping = await runScenario(real('never'), { reportsDir: dir });
    const overlapped = overlapping.cases;
    expect(overlapping.settleOverlap?.handedOver).toBeGreaterThan(3);
    expect(overlapping.settleOverlap?.stopped).toBe(0);
    const fresh = await runScenario(real('per-case'), { reportsDir: dir });
    expect(verdicts(overlapped).sort()).toEqual(verdicts(fresh.cases).sort());
    // What this API gets wrong is the contract, not safety: a mismatched payload answered 417, a missing key accepted.
    expect(failed(overlapped).sort()).toEqual(['create-order/probe:key-mismatch: key-mismatch-rejected', 'create-order/probe:missing-key: exit-codes']);
  }, 240_000);

  it('does not overlap an API started afresh for every case (its late work dies with it)', async () => {
    const perCase = scenario('overlap-per-case', { FORWARD_KEY: '1' });
    (perCase.target as { start: { restart: string } }).start.restart = 'per-case';
    const session = await openRunSession(perCase, { reportsDir: dir });
    try {
      expect(session.settleOverlap()).toEqual({ lanes: 0, handedOver: 0, stopped: 0 });
    } finally {
      await session.abort();
    }
  }, 60_000);
});
