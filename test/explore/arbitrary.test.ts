import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { scheduleArbitrary, scheduleSpace, type ScheduleSpace } from '../../src/explore/arbitrary.js';
import { describeSchedule } from '../../src/explore/describe.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { Schedule } from '../../src/core/schedule.js';

const space = (operation: Partial<ScheduleSpace['operations'][number]> = {}): ScheduleSpace => ({
  operations: [{ name: 'create-order', upstreams: ['payments'], canMismatch: true, canDryRun: true, ...operation }],
  faults: [{ name: 'timeout-after-commit', weight: 1 }, { name: '503-after-commit', weight: 1 }],
  lasting: { payments: [] },
  maxFaults: 2,
  maxOrdinal: 3,
  maxRetries: 2,
  replays: true,
  concurrent: true,
  missingKey: false,
  keyPolicies: ['same'],
  faultParams: {},
});

const probeOf = (schedule: Schedule): string =>
  schedule.caller.omitKey ? 'missing-key' : schedule.caller.dryRun ? 'dry-run' : schedule.caller.mismatch ? 'mismatch' : (schedule.caller.concurrent ?? 0) > 1 ? 'concurrent' : 'sequence';

describe('scheduleSpace: the scenario\'s caller bounds what exploration draws (issue 12)', () => {
  const scenario = (caller: Record<string, unknown>, explore: Record<string, unknown> = {}) =>
    parseScenario(
      YAML.stringify({
        target: { kind: 'command', argv: ['tool'] },
        upstreams: { payments: { model: 'resource', path: '/charges' } },
        operations: [{ name: 'create-order', args: ['{{key}}'] }],
        caller,
        explore,
      }),
      'bounds.yaml',
    );
  const contacts = new Map([['create-order', ['payments']]]);

  it('never draws a retry or a replay for a caller with retries: 0, replay: false', () => {
    const schedules = fc.sample(scheduleArbitrary(scheduleSpace(scenario({ retries: 0, replay: false }), contacts, new Set())), { seed: 5, numRuns: 500 });
    expect(schedules.every((schedule) => schedule.caller.retries === 0 && !schedule.caller.replay)).toBe(true);
  });

  it('draws up to caller.retries retries and both replay choices by default, and what explore widens explicitly', () => {
    const bounded = fc.sample(scheduleArbitrary(scheduleSpace(scenario({ retries: 2, replay: true }), contacts, new Set())), { seed: 5, numRuns: 500 });
    expect(Math.max(...bounded.map((schedule) => schedule.caller.retries))).toBe(2);
    expect(new Set(bounded.map((schedule) => schedule.caller.replay))).toEqual(new Set([true, false]));
    const widened = fc.sample(scheduleArbitrary(scheduleSpace(scenario({ retries: 0, replay: false }, { maxRetries: 3, replays: true }), contacts, new Set())), { seed: 5, numRuns: 500 });
    expect(Math.max(...widened.map((schedule) => schedule.caller.retries))).toBe(3);
    expect(widened.some((schedule) => schedule.caller.replay)).toBe(true);
  });
});

describe('scheduleSpace: probes and outages come from the scenario (issue 13)', () => {
  const parse = (target: Record<string, unknown>, upstream: Record<string, unknown>) =>
    parseScenario(
      YAML.stringify({
        target,
        upstreams: { payments: { model: 'resource', path: '/charges', ...upstream } },
        operations: [target.kind === 'http' ? { name: 'create-order', request: { method: 'POST', path: '/orders' } } : { name: 'create-order', args: ['{{key}}'] }],
        faults: ['503-before-commit', '409-in-flight', 'timeout-after-commit'],
      }),
      'space.yaml',
    );
  const contacts = new Map([['create-order', ['payments']]]);

  it('lets a 503 last anywhere, a 409 "key in flight" only on an upstream that keeps keys, and never a fault after commit', () => {
    expect(scheduleSpace(parse({ kind: 'command', argv: ['tool'] }, {}), contacts, new Set()).lasting).toEqual({ payments: ['503-before-commit'] });
    expect(scheduleSpace(parse({ kind: 'command', argv: ['tool'] }, { honoursIdempotencyKey: true }), contacts, new Set()).lasting).toEqual({
      payments: ['503-before-commit', '409-in-flight'],
    });
  });

  it('draws the missing-key probe only for an http target that must refuse a request without its key', () => {
    const http = (requireKey: boolean) => ({ kind: 'http', baseUrl: 'http://127.0.0.1:9', requireKey });
    expect(scheduleSpace(parse(http(true), {}), contacts, new Set()).missingKey).toBe(true);
    expect(scheduleSpace(parse(http(false), {}), contacts, new Set()).missingKey).toBe(false);
    expect(scheduleSpace(parse({ kind: 'command', argv: ['tool'] }, {}), contacts, new Set()).missingKey).toBe(false);
  });
});

describe('scheduleArbitrary', () => {
  it('draws every probe the scenario allows, dry runs included, and none it does not', () => {
    const all = new Set(fc.sample(scheduleArbitrary(space()), { seed: 7, numRuns: 300 }).map(probeOf));
    expect([...all].sort()).toEqual(['concurrent', 'dry-run', 'mismatch', 'sequence']);
    const plain = new Set(fc.sample(scheduleArbitrary({ ...space({ canMismatch: false, canDryRun: false }), concurrent: false }), { seed: 7, numRuns: 300 }).map(probeOf));
    expect([...plain]).toEqual(['sequence']);
  });

  it('draws a request without its key only where the scenario probes for it (issue 13, zoo 23), combined with faults', () => {
    const keyless = fc.sample(scheduleArbitrary({ ...space(), missingKey: true }), { seed: 7, numRuns: 400 }).filter((schedule) => probeOf(schedule) === 'missing-key');
    expect(keyless.length).toBeGreaterThan(10);
    expect(keyless.some((schedule) => schedule.faults.length > 0)).toBe(true);
    expect(describeSchedule(keyless[0]!)).toContain('caller sends no idempotency key');
    const never = fc.sample(scheduleArbitrary(space()), { seed: 7, numRuns: 400 });
    expect(never.some((schedule) => schedule.caller.omitKey)).toBe(false);
  });

  it('draws outages (a fault on every request from one on) only of the faults that may last there, and shrinks them away (issue 13, zoo 30)', () => {
    const lastingSpace: ScheduleSpace = {
      ...space(),
      faults: [{ name: '503-before-commit', weight: 1 }, { name: 'timeout-after-commit', weight: 1 }],
      lasting: { payments: ['503-before-commit'] },
    };
    const bindings = fc.sample(scheduleArbitrary(lastingSpace), { seed: 3, numRuns: 400 }).flatMap((schedule) => schedule.faults);
    const outages = bindings.filter((binding) => binding.andAfter);
    expect(outages.length).toBeGreaterThan(10);
    expect(outages.every((binding) => binding.fault === '503-before-commit')).toBe(true);
    // Not every 503: most stay single requests.
    expect(bindings.filter((binding) => binding.fault === '503-before-commit' && !binding.andAfter).length).toBeGreaterThan(outages.length);
    expect(describeSchedule({ operation: 'create-order', faults: [outages[0]!], caller: { retries: 0, key: 'same', replay: false, delayMs: 0 } })).toMatch(
      /^request \d and every later one to payments: 503 before commit/,
    );
    expect(fc.sample(scheduleArbitrary(space()), { seed: 3, numRuns: 400 }).some((schedule) => schedule.faults.some((binding) => binding.andAfter))).toBe(false);
    // The "bug": a bound broken only by an outage. It shrinks to one outage on the first request, nothing else.
    const result = fc.check(fc.property(scheduleArbitrary(lastingSpace), (schedule) => !schedule.faults.some((binding) => binding.andAfter)), { seed: 3 });
    expect(result.failed).toBe(true);
    expect(result.counterexample![0]).toEqual({
      operation: 'create-order',
      // A lasting 503 says no Retry-After (lastingParams): the target's own back-off is what an outage measures.
      faults: [{ upstream: 'payments', ordinal: 1, fault: '503-before-commit', andAfter: true, params: { retryAfterSeconds: null } }],
      caller: { retries: 0, key: 'same', replay: false, delayMs: 0 },
    });
  });

  it('gives two racers the race window on the first request, unless a drawn fault binds that request', () => {
    const racing = fc.sample(scheduleArbitrary(space()), { seed: 11, numRuns: 400 }).filter((schedule) => probeOf(schedule) === 'concurrent');
    expect(racing.length).toBeGreaterThan(10);
    for (const schedule of racing) {
      const first = schedule.faults.filter((binding) => binding.upstream === 'payments' && binding.ordinal === 1);
      expect(first, JSON.stringify(schedule)).toHaveLength(1);
    }
    expect(racing.some((schedule) => schedule.faults.some((binding) => binding.fault === 'slow' && binding.params?.delayBeforeCommitMs === 150))).toBe(true);
    const plain = fc.sample(scheduleArbitrary(space()), { seed: 11, numRuns: 400 }).filter((schedule) => probeOf(schedule) === 'sequence');
    expect(plain.every((schedule) => schedule.faults.every((binding) => binding.fault !== 'slow'))).toBe(true);
  });

  it('shrinks a failure found under a probe to a plain sequence when the probe is not needed', () => {
    // The "bug": any schedule whose caller retries. Among the seeds, keep those whose first failure came under a probe.
    const fails = (schedule: Schedule): boolean => schedule.caller.retries === 0;
    let checked = 0;
    for (let seed = 1; seed <= 60; seed += 1) {
      const first = fc.check(fc.property(scheduleArbitrary(space()), fails), { seed, endOnFailure: true });
      if (!first.failed || probeOf(first.counterexample![0]) === 'sequence') continue;
      const shrunk = fc.check(fc.property(scheduleArbitrary(space()), fails), { seed });
      const minimal = shrunk.counterexample![0];
      expect(probeOf(minimal), `seed ${seed}: ${JSON.stringify(minimal)}`).toBe('sequence');
      expect(minimal).toEqual({ operation: 'create-order', faults: [], caller: { retries: 1, key: 'same', replay: false, delayMs: 0 } });
      checked += 1;
    }
    expect(checked).toBeGreaterThan(3);
  });
});
