import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { checkScenarioOf, DEFAULT_CHECK_SCENARIO } from '../../../src/checks/check.js';
import { keyStableAcrossRetries } from '../../../src/checks/retry/key-stable-across-retries.js';
import { parseScenario } from '../../../src/scenario/load.js';
import { eff, input, inv, KEY, lookup, refused, req, type Spec } from '../../fixtures/check-targets-2/rows.js';
import { expectStatus, problems, runProbeTool } from '../../fixtures/check-targets-2/run-probe-tool.js';
import { describeEndToEnd } from '../../helpers/end-to-end.js';

const evaluate = (spec: Spec) => keyStableAcrossRetries.evaluate(input(spec));
const failedAttempt = (id: number) => inv(id, { exitCode: 75, effect: 'unknown' });

describe('key-stable-across-retries on hand-built rows', () => {
  it('is skipped when no mutating request carried a key, and says so', () => {
    const result = evaluate({ invocations: [inv(1)], requests: [lookup(1, 1), req(2, 1, { idempotencyKey: null })], effects: [eff(1, 2)] });
    expectStatus(result, 'skip');
    expect(result.message).toBe('create-order: no mutating upstream request carried an Idempotency-Key (1 mutating request), so there is no key to keep stable');
  });

  it('passes one key across the target\'s retries, the caller\'s retry and the replay', () => {
    const result = evaluate({
      invocations: [failedAttempt(1), inv(2), inv(3, { role: 'replay', effect: 'noop' })],
      requests: [refused(1, 1, 503), refused(2, 1, 503), req(3, 2), req(4, 3, { committed: false, outcome: 'replayed' })],
      effects: [eff(1, 3)],
    });
    expectStatus(result, 'pass');
    expect(result.message).toBe('create-order: every repeated mutating request kept its Idempotency-Key (1 route with repeats)');
  });

  it('passes a single keyed request', () => {
    expect(evaluate({ invocations: [inv(1)], requests: [req(1, 1)], effects: [eff(1, 1)] }).message).toContain('no mutating request was sent twice');
  });

  it('fails a new key on the target\'s own retry, naming both requests and keys', () => {
    const result = evaluate({ invocations: [inv(1)], requests: [refused(1, 1, 503, { idempotencyKey: 'k-a' }), req(2, 1, { idempotencyKey: 'k-b' })], effects: [eff(1, 2)] });
    expectStatus(result, 'fail');
    expect(result.message).toBe(
      `create-order: 2 requests to payments POST /charges for caller key ${KEY} carried 2 different Idempotency-Keys ("k-a", "k-b"): request 1 (POST /charges to payments, got 503) by invocation 1 with "k-a"; request 2 (POST /charges to payments, got 201) by invocation 1 with "k-b"`,
    );
    expect(result.evidence).toEqual({ invocations: [1], requests: [1, 2] });
  });

  it('fails a new key on the caller\'s retry with the same caller key', () => {
    const result = evaluate({ invocations: [failedAttempt(1), inv(2)], requests: [refused(1, 1, 503, { idempotencyKey: 'k-a' }), req(2, 2, { idempotencyKey: 'k-b' })], effects: [eff(1, 2)] });
    expectStatus(result, 'fail');
    expect(result.evidence).toEqual({ invocations: [1, 2], requests: [1, 2] });
  });

  it('fails a retry that drops the key', () => {
    const result = evaluate({ invocations: [inv(1)], requests: [refused(1, 1, 503), req(2, 1, { idempotencyKey: null })], effects: [eff(1, 2)] });
    expectStatus(result, 'fail');
    expect(result.message).toContain(`("${KEY}", no key)`);
    expect(result.message).toContain('request 2 (POST /charges to payments, got 201) by invocation 1 with no key');
  });

  it('gives each caller key its own upstream key (caller key: fresh)', () => {
    const result = evaluate({
      invocations: [failedAttempt(1), inv(2, { key: 'rp-abcdefabcdef-2' })],
      requests: [refused(1, 1, 503), req(2, 2, { idempotencyKey: 'rp-abcdefabcdef-2' })],
      effects: [eff(1, 2)],
    });
    expectStatus(result, 'pass');
    expect(result.message).toContain('no mutating request was sent twice for one caller key');
  });

  it('lets different records on one route have different keys', () => {
    const result = evaluate({
      // The clean run makes both records: two different requests on one route.
      baseline: [eff(1, 1), eff(2, 2, { body: '{"amount":5}', fingerprint: 'payments POST /charges amount-5' })],
      invocations: [inv(1)],
      requests: [req(1, 1, { idempotencyKey: `${KEY}-a` }), req(2, 1, { idempotencyKey: `${KEY}-b`, body: '{"amount":5}', bodyFingerprint: 'payments POST /charges amount-5' })],
      effects: [eff(1, 1), eff(2, 2)],
    });
    expectStatus(result, 'pass');
  });

  it('compares the keys of retries whose bodies differ by a per-attempt value, when the clean run makes one record there (issue 18, hole 6)', () => {
    const attempt = (id: number, n: number, overrides = {}) =>
      req(id, 1, { idempotencyKey: `${KEY}-${n}`, body: `{"amount":100,"attempt":${n}}`, bodyFingerprint: `payments POST /charges attempt-${n}`, ...overrides });
    const spec = { invocations: [inv(1)], requests: [attempt(1, 1, { committed: false, outcome: 'not-run' as const, clientStatus: 503 }), attempt(2, 2)], effects: [eff(1, 2)] };
    const result = evaluate(spec);
    expectStatus(result, 'fail');
    expect(result.message).toContain(`2 requests to payments POST /charges for caller key ${KEY} carried 2 different Idempotency-Keys ("${KEY}-1", "${KEY}-2")`);
    // Where the clean run makes two records on the route, different bodies are different records and may have their own keys.
    const twoRecords = evaluate({ ...spec, baseline: [eff(1, 1), eff(2, 2, { body: '{"amount":5}', fingerprint: 'payments POST /charges amount-5' })] });
    expectStatus(twoRecords, 'pass');
  });

  it('does not judge the mismatch probe\'s request', () => {
    const result = evaluate({
      invocations: [inv(1), inv(2, { role: 'mismatch', exitCode: 1, effect: 'none' })],
      requests: [req(1, 1), refused(2, 2, 422, { idempotencyKey: 'derived-from-other-payload' })],
      effects: [eff(1, 1)],
    });
    expectStatus(result, 'pass');
    // Left out on purpose, not for want of an invocation: the message says nothing of unattributed requests.
    expect(result.message).toBe('create-order: no mutating request was sent twice for one caller key, so every key sent was the only one');
  });

  it('does not judge a request that may be the mismatch probe\'s: one sent while the replay and the probe (one caller key) both ran', () => {
    // The replay ends at 2500 ms, the mismatch probe starts then: a request recorded without invocation at 2500 ms is either's.
    const result = evaluate({
      invocations: [inv(1), inv(2, { role: 'replay', effect: 'noop' }), inv(3, { role: 'mismatch', exitCode: 1, effect: 'none', startedMs: 2_500 })],
      requests: [req(1, 1), req(2, 2, { committed: false, outcome: 'replayed' }), refused(3, null, 422, { startedMs: 2_500, idempotencyKey: 'derived-from-other-payload' })],
      effects: [eff(1, 1)],
    });
    expectStatus(result, 'pass');
    // Left out as a probe's might be, not for want of an invocation: the message says nothing of unattributed requests.
    expect(result.message).toBe('create-order: every repeated mutating request kept its Idempotency-Key (1 route with repeats)');
  });

  it('lists every route whose key changed', () => {
    const mail = { upstream: 'mailer', path: '/messages', route: 'POST /messages', bodyFingerprint: 'mailer POST /messages to-alice' };
    const result = evaluate({
      invocations: [inv(1)],
      requests: [refused(1, 1, 503, { idempotencyKey: 'k-a' }), req(2, 1, { idempotencyKey: 'k-b' }), refused(3, 1, 503, { ...mail, idempotencyKey: 'm-a' }), req(4, 1, { ...mail, idempotencyKey: 'm-b' })],
      effects: [eff(1, 2), eff(2, 4, { upstream: 'mailer', route: 'POST /messages' })],
    });
    expectStatus(result, 'fail');
    expect(result.message).toMatch(/^create-order: 2 requests to payments POST \/charges .* \| 2 requests to mailer POST \/messages for caller key .* carried 2 different Idempotency-Keys \("m-a", "m-b"\)/);
  });

  it('leaves out a request that cannot be tied to one caller key, and says how many', () => {
    // Invocation 2 (another caller key) was running when request 2 was sent; request 4 was sent when none was.
    const invocations = [inv(1, { startedMs: 0, durationMs: 500 }), inv(2, { key: 'rp-abcdefabcdef-2', startedMs: 100, durationMs: 500 })];
    const requests = [req(1, 1, { startedMs: 50, idempotencyKey: 'k-a' }), req(2, null, { startedMs: 150, idempotencyKey: 'k-b' }), req(3, 1, { startedMs: 300, idempotencyKey: 'k-a' }), req(4, null, { startedMs: 5_000, idempotencyKey: 'k-c' })];
    const result = evaluate({ invocations, requests, effects: [eff(1, 1)] });
    expectStatus(result, 'pass');
    expect(result.message).toBe('create-order: every repeated mutating request kept its Idempotency-Key (1 route with repeats) (2 requests could not be tied to one caller key)');
  });

  it('ties requests sent while concurrent invocations ran to their shared caller key', () => {
    const racers = [inv(1, { role: 'concurrent', startedMs: 0, durationMs: 500 }), inv(2, { role: 'concurrent', startedMs: 0, durationMs: 500 })];
    const result = evaluate({ invocations: racers, requests: [req(1, null, { startedMs: 50, idempotencyKey: 'k-a' }), req(2, null, { startedMs: 60, idempotencyKey: 'k-b' })], effects: [eff(1, 1), eff(2, 2)] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('by invocation ? with "k-a"');
    expect(result.evidence?.invocations).toEqual([1, 2]);
    // Racer 2's first request reached the upstream before racer 1 had started: the evidence still lists them in order.
    const secondFirst = evaluate({ invocations: racers, requests: [req(1, 2, { startedMs: 0, idempotencyKey: 'k-b' }), req(2, null, { startedMs: 60, idempotencyKey: 'k-a' })], effects: [eff(1, 1), eff(2, 2)] });
    expectStatus(secondFirst, 'fail');
    expect(secondFirst.evidence?.invocations).toEqual([1, 2]);
  });
});

describe('key-stable-across-retries for a target that makes its own key once per run (issue 13, class 10)', () => {
  const ownKey = (spec: Spec) =>
    keyStableAcrossRetries.evaluate({ ...input(spec), scenario: { ...DEFAULT_CHECK_SCENARIO, targetKind: 'command', keyWithheldFrom: ['create-order'] } });

  it('does not compare the keys of the caller\'s separate invocations', () => {
    const result = ownKey({ invocations: [failedAttempt(1), inv(2)], requests: [refused(1, 1, 503, { idempotencyKey: 'run-1' }), req(2, 2, { idempotencyKey: 'run-2' })], effects: [eff(1, 2)] });
    expectStatus(result, 'pass');
  });

  it('cannot compare the keys of racers that each make their own: their requests are left out', () => {
    const racers = [inv(1, { role: 'concurrent', startedMs: 0, durationMs: 500 }), inv(2, { role: 'concurrent', startedMs: 0, durationMs: 500 })];
    const result = ownKey({ invocations: racers, requests: [req(1, null, { startedMs: 50, idempotencyKey: 'run-1' }), req(2, null, { startedMs: 60, idempotencyKey: 'run-2' })], effects: [eff(1, 1), eff(2, 2)] });
    expectStatus(result, 'pass');
    expect(result.message).toContain('(2 requests could not be tied to one caller key)');
  });

  it('still fails a new key on its own retry within one run', () => {
    const result = ownKey({ invocations: [inv(1)], requests: [refused(1, 1, 503, { idempotencyKey: 'run-1-a' }), req(2, 1, { idempotencyKey: 'run-1-b' })], effects: [eff(1, 2)] });
    expectStatus(result, 'fail');
    expect(result.message).toContain('for caller key');
  });

  it('is told apart by the scenario: a command with no {{key}} in its argv, args or env', () => {
    const scenario = parseScenario(
      YAML.stringify({
        target: { kind: 'command', argv: ['tool'] },
        upstreams: { payments: { model: 'resource', path: '/charges' } },
        operations: [{ name: 'create-order', args: ['create'] }, { name: 'refund', args: ['refund', '--key', '{{key}}'] }],
      }),
      'own-key.yaml',
    );
    expect(checkScenarioOf(scenario).keyWithheldFrom).toEqual(['create-order']);
  });
});

describeEndToEnd('key-stable-across-retries end to end', () => {
  it('fails a tool that sends a new Idempotency-Key on every try', async () => {
    const run = await runProbeTool({ bug: 'fresh-upstream-key', faults: ['503-before-commit'], honoursKey: true });
    const result = run.check('create-order/503-before-commit@payments#1', 'key-stable-across-retries');
    expectStatus(result, 'fail');
    expect(result.message).toMatch(/^create-order: 2 requests to payments POST \/charges for caller key (rp-\w+-1) carried 2 different Idempotency-Keys \("\1\.[0-9a-f-]+", "\1\.[0-9a-f-]+"\): request 1 \(POST \/charges to payments, fault 503-before-commit, got 503\) by invocation 1/);
    expect(result.evidence).toEqual({ invocations: [1], requests: [1, 2] });
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual(['key-stable-across-retries']);
  });

  it('passes its twin, which sends the caller\'s key every time', async () => {
    const run = await runProbeTool({ faults: ['503-before-commit'], honoursKey: true, caller: { replay: true } });
    expectStatus(run.check('create-order/503-before-commit@payments#1', 'key-stable-across-retries'), 'pass');
    expect(run.result.failedChecks, problems(run.result).join('\n')).toEqual([]);
  });
});
