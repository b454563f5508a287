/**
 * The helpers every check builds its verdicts and messages with (src/checks/check.ts),
 * on rows as the ledger records them. Mutation testing (issue 18) found their edge
 * cases unpinned: how a truncated body, a missing field or an unanswered request reads.
 */
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  candidateInvocations,
  checkScenarioOf,
  DEFAULT_CHECK_SCENARIO,
  describeEffect,
  describeExpected,
  describeInvocation,
  describeRequest,
  firstDifference,
  isMutatingMethod,
  operationEffects,
  plural,
  responseBody,
  responseHeader,
  resultId,
  sameJson,
  scenarioFacts,
  shortJson,
} from '../../src/checks/check.js';
import { parseScenario } from '../../src/scenario/load.js';
import { caseInput, effect, invocation, killed, printed, request } from './rows.js';
import { httpInv } from '../fixtures/check-targets-2/rows.js';

describe('describeInvocation', () => {
  it('says how the invocation ended: killed, by a signal, its exit code, its status or no response', () => {
    expect(describeInvocation(killed(2))).toBe('invocation 2 (attempt, killed (crash))');
    expect(describeInvocation(invocation(3, { role: 'replay', exitCode: null, signal: 'SIGTERM' }))).toBe('invocation 3 (replay, ended by SIGTERM)');
    expect(describeInvocation(invocation(1, { exitCode: 75 }))).toBe('invocation 1 (attempt, exit 75)');
    expect(describeInvocation(httpInv(4, 503, { error: 'busy' }))).toBe('invocation 4 (attempt, HTTP 503)');
    expect(describeInvocation(httpInv(5, null, null, { error: 'ECONNRESET' }))).toBe('invocation 5 (attempt, no response: ECONNRESET)');
    expect(describeInvocation(httpInv(6, null, null))).toBe('invocation 6 (attempt, no response)');
    expect(describeInvocation(httpInv(7, null, null, { httpStatus: undefined }))).toBe('invocation 7 (attempt, no response)');
  });
});

describe('describeRequest', () => {
  it('names the request by method, path without query, upstream, fault and what the client got', () => {
    expect(describeRequest(request(3, 1, { fault: '503-before-commit', clientStatus: 503 }))).toBe('request 3 (POST /charges to payments, fault 503-before-commit, got 503)');
    expect(describeRequest(request(1, 1, { method: 'GET', path: '/charges?ref=k', route: 'GET /charges' }))).toBe('request 1 (GET /charges to payments, got 201)');
  });

  it('says "no answer" for a response without status, and how the answer was lost otherwise', () => {
    expect(describeRequest(request(2, 1, { clientStatus: null }))).toBe('request 2 (POST /charges to payments, no answer)');
    expect(describeRequest(request(2, 1, { fault: 'timeout-after-commit', clientStatus: null, delivery: 'held' }))).toBe(
      'request 2 (POST /charges to payments, fault timeout-after-commit, held)',
    );
  });
});

describe('describeEffect and describeExpected', () => {
  it('names an effect by id, resource, request and key, and says when it had no key or resource id', () => {
    expect(describeEffect(effect(2, 3))).toBe('effect 2 (cha_2, request 3, key rp-0123456789ab-1)');
    expect(describeEffect(effect(2, 3, { resourceId: null, key: null }))).toBe('effect 2 (request 3, no key)');
  });

  it("names a row of the target's own state by where it was found, its body cut to 77 characters and \"...\" past 80", () => {
    const stateRow = (body: string) => effect(4, 0, { upstream: 'db', route: 'orders', key: null, resourceId: null, body, fingerprint: `db orders ${body}` });
    expect(describeEffect(stateRow('{"id":1,"total":100}'))).toBe('effect 4 (found in db orders after the case: {"id":1,"total":100})');
    const eighty = `{"note":"${'x'.repeat(69)}"}`;
    expect(eighty).toHaveLength(80);
    expect(describeEffect(stateRow(eighty))).toBe(`effect 4 (found in db orders after the case: ${eighty})`);
    const long = `{"note":"${'y'.repeat(70)}"}`;
    expect(describeEffect(stateRow(long))).toBe(`effect 4 (found in db orders after the case: ${long.slice(0, 77)}...)`);
  });

  it('quotes a clean-run effect body of up to 60 characters whole, a longer one cut to 57 and "..."', () => {
    expect(describeExpected(effect(1, 1))).toBe('payments POST /charges {"amount":100}');
    const sixty = `{"note":"${'x'.repeat(49)}"}`;
    expect(sixty).toHaveLength(60);
    expect(describeExpected(effect(1, 1, { body: sixty }))).toBe(`payments POST /charges ${sixty}`);
    const long = `{"note":"${'y'.repeat(50)}"}`;
    expect(describeExpected(effect(1, 1, { body: long }))).toBe(`payments POST /charges ${long.slice(0, 57)}...`);
    expect(describeExpected(effect(1, 1, { body: '' }))).toBe('payments POST /charges');
  });
});

describe('shortJson', () => {
  it('renders strings quoted and values as JSON, cut to the limit with an ellipsis', () => {
    expect(shortJson('ord_1')).toBe('"ord_1"');
    expect(shortJson({ id: 1 })).toBe('{"id":1}');
    expect(shortJson(undefined)).toBe('undefined');
    expect(shortJson('abcdefghij', 12)).toBe('"abcdefghij"');
    expect(shortJson('abcdefghijk', 12)).toBe('"abcdefghij…');
    expect(shortJson('abcdefghijk', 12)).toHaveLength(12);
    expect(shortJson('x'.repeat(200))).toHaveLength(120);
  });
});

describe('sameJson and firstDifference', () => {
  it('compares JSON values whole, ignoring the order of object keys', () => {
    expect(sameJson({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameJson({ a: 1, b: 2 }, { a: 1, c: 2 })).toBe(false);
    expect(sameJson([1, 2], [1, 2, 3])).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({ 0: 1 }, [1])).toBe(false);
    expect(sameJson(null, {})).toBe(false);
    expect(sameJson({}, null)).toBe(false);
    expect(sameJson('1', 1)).toBe(false);
    expect(sameJson({}, true)).toBe(false);
    expect(sameJson(0, {})).toBe(false);
    expect(sameJson({ a: undefined }, { b: undefined })).toBe(false);
  });

  it('says where two bodies first differ: a path, a missing field, an array item, or the top', () => {
    expect(firstDifference({ a: 1 }, { a: 1 })).toBeUndefined();
    expect(firstDifference({ order: { id: 'ord_2' } }, { order: { id: 'ord_1' } })).toBe('at .order.id: "ord_2" vs "ord_1"');
    expect(firstDifference({ a: 1 }, { a: 1, b: 2 })).toBe('at .b: missing vs 2');
    expect(firstDifference({ a: 1, b: 2 }, { a: 1 })).toBe('at .b: 2 vs missing');
    expect(firstDifference({ items: [1, 2] }, { items: [1, 3] })).toBe('at .items[1]: 2 vs 3');
    expect(firstDifference('created', 'noop')).toBe('at the top: "created" vs "noop"');
    expect(firstDifference([1], { 0: 1 })).toBe('at the top: [1] vs {"0":1}');
    expect(firstDifference([{ id: 'ord_1' }], { id: 'ord_1' })).toBe('at the top: [{"id":"ord_1"}] vs {"id":"ord_1"}');
    expect(firstDifference({ id: 'ord_1' }, 'ord_1')).toBe('at the top: {"id":"ord_1"} vs "ord_1"');
    expect(firstDifference('ord_1', { id: 'ord_1' })).toBe('at the top: "ord_1" vs {"id":"ord_1"}');
    expect(firstDifference(null, { id: 'ord_1' })).toBe('at the top: null vs {"id":"ord_1"}');
    expect(firstDifference({ id: 'ord_1' }, null)).toBe('at the top: {"id":"ord_1"} vs null');
    expect(firstDifference({ a: 'x'.repeat(100) }, { a: 'y' })).toBe(`at .a: "${'x'.repeat(58)}… vs "y"`);
  });
});

describe('what an invocation answered', () => {
  it('reads the JSON a target printed, its text when it is no JSON, and nothing when it printed nothing', () => {
    expect(responseBody(printed(1, '{"effect":"created","id":"ord_1"}'))).toEqual({ effect: 'created', id: 'ord_1' });
    expect(responseBody(printed(1, 'charged'))).toBe('charged');
    expect(responseBody(printed(1, ''))).toBeNull();
  });

  it('takes the resource a result names from its top-level id, and none from text, arrays or a null id', () => {
    expect(resultId(printed(1, '{"effect":"noop","id":"ord_1"}'))).toBe('ord_1');
    expect(resultId(printed(1, '{"effect":"noop","id":null}'))).toBeUndefined();
    expect(resultId(printed(1, '{"effect":"noop"}'))).toBeUndefined();
    expect(resultId(printed(1, '[{"id":"ord_1"}]'))).toBeUndefined();
    expect(resultId(printed(1, 'ord_1'))).toBeUndefined();
    expect(resultId(printed(1, ''))).toBeUndefined();
  });

  it('finds a response header whatever its case, and none on an invocation without headers', () => {
    const replay = httpInv(2, 201, { id: 'ord_1' }, { responseHeaders: { 'Idempotent-Replayed': 'true', 'content-type': 'application/json' } });
    expect(responseHeader(replay, 'idempotent-replayed')).toBe('true');
    expect(responseHeader(replay, 'IDEMPOTENT-REPLAYED')).toBe('true');
    expect(responseHeader(replay, 'retry-after')).toBeUndefined();
    expect(responseHeader(httpInv(3, null, null), 'idempotent-replayed')).toBeUndefined();
  });
});

describe('which invocations may have sent a request', () => {
  it('is the one it is attributed to, or every one running when it started (both ends included)', () => {
    const rows = caseInput({
      invocations: [invocation(1, { startedMs: 100, durationMs: 50 }), invocation(2, { startedMs: 120, durationMs: 100 }), invocation(3, { startedMs: 151, durationMs: 10 })],
    }).rows;
    expect(candidateInvocations(rows, request(1, 2)).map((row) => row.id)).toEqual([2]);
    expect(candidateInvocations(rows, request(2, null, { startedMs: 100 })).map((row) => row.id)).toEqual([1]);
    expect(candidateInvocations(rows, request(2, null, { startedMs: 150 })).map((row) => row.id)).toEqual([1, 2]);
    expect(candidateInvocations(rows, request(2, null, { startedMs: 220 })).map((row) => row.id)).toEqual([2]);
    expect(candidateInvocations(rows, request(2, null, { startedMs: 221 })).map((row) => row.id)).toEqual([]);
  });

  it('counts every method but GET, HEAD and OPTIONS, in any case, as mutating', () => {
    expect(['POST', 'PUT', 'PATCH', 'DELETE', 'post'].map(isMutatingMethod)).toEqual([true, true, true, true, true]);
    expect(['GET', 'HEAD', 'OPTIONS', 'get', 'options'].map(isMutatingMethod)).toEqual([false, false, false, false, false]);
  });

  it("leaves the probes' extra invocations out of the operation's effects, and keeps unattributed ones", () => {
    const rows = caseInput({
      invocations: [invocation(1), invocation(2, { role: 'mismatch' }), invocation(3, { role: 'dry-run' }), invocation(4, { role: 'missing-key' }), invocation(5, { role: 'replay' })],
      requests: [request(1, 1), request(2, 2), request(3, 3), request(4, 4), request(5, 5), request(6, null)],
      effects: [effect(1, 1), effect(2, 2), effect(3, 3), effect(4, 4), effect(5, 5), effect(6, 6)],
    }).rows;
    expect(operationEffects(rows).map((row) => row.id)).toEqual([1, 5, 6]);
  });
});

describe('scenario facts of a hand-built input', () => {
  it("fills in the schema's defaults, with the target kind of the first invocation that records one", () => {
    const input = caseInput({ invocations: [invocation(1, { targetKind: undefined }), httpInv(2, 201, {})] });
    expect(scenarioFacts(input)).toEqual({ ...DEFAULT_CHECK_SCENARIO, targetKind: 'http' });
    expect(scenarioFacts(caseInput({ invocations: [invocation(1, { targetKind: undefined })] })).targetKind).toBe('command');
    expect(scenarioFacts(caseInput()).retryPolicy).toEqual({ maxAttempts: 10, retryAfterToleranceMs: 100 });
    const scenario = { ...DEFAULT_CHECK_SCENARIO, targetKind: 'module' as const, strictOutcomeHonesty: true };
    expect(scenarioFacts({ ...input, scenario })).toBe(scenario);
  });

  it('says "1 charge", "0 charges", "2 charges"', () => {
    expect([plural(1, 'charge'), plural(0, 'charge'), plural(2, 'charge')]).toEqual(['1 charge', '0 charges', '2 charges']);
  });
});

describe('checkScenarioOf (the scenario facts the runner passes to every check)', () => {
  const scenario = (fields: Record<string, unknown>) =>
    parseScenario(YAML.stringify({ upstreams: { payments: { model: 'resource', path: '/charges' } }, ...fields }), 'facts.yaml');

  it("takes an http target's requireKey and replayedHeader, the retry policy and strictness, and withholds no key", () => {
    const http = scenario({
      target: { kind: 'http', baseUrl: 'http://127.0.0.1:8080', requireKey: true, replayedHeader: true },
      operations: [{ name: 'create-order', request: { method: 'POST', path: '/orders' } }],
      retryPolicy: { maxAttempts: 3, retryAfterToleranceMs: 250 },
      strictOutcomeHonesty: true,
    });
    expect(checkScenarioOf(http)).toEqual({
      targetKind: 'http',
      retryPolicy: { maxAttempts: 3, retryAfterToleranceMs: 250 },
      strictOutcomeHonesty: true,
      requireKey: true,
      replayedHeader: true,
      keyWithheldFrom: [],
    });
  });

  it('gives a command target neither requireKey nor replayedHeader, and the default retry policy', () => {
    const command = scenario({ target: { kind: 'command', argv: ['tool', '--key', '{{key}}'] }, operations: [{ name: 'create-order', args: ['create'] }] });
    expect(checkScenarioOf(command)).toEqual({
      targetKind: 'command',
      retryPolicy: { maxAttempts: 10, retryAfterToleranceMs: 100 },
      strictOutcomeHonesty: false,
      requireKey: false,
      replayedHeader: false,
      keyWithheldFrom: [],
    });
  });

  it("withholds the key from no operation when the command's own argv or env carries {{key}}", () => {
    const operations = [{ name: 'create-order', args: ['create'] }, { name: 'refund', args: ['refund'] }];
    expect(checkScenarioOf(scenario({ target: { kind: 'command', argv: ['tool', '--key={{key}}'] }, operations })).keyWithheldFrom).toEqual([]);
    expect(checkScenarioOf(scenario({ target: { kind: 'command', argv: ['tool'], env: { IDEMPOTENCY_KEY: '{{ key }}' } }, operations })).keyWithheldFrom).toEqual([]);
    expect(checkScenarioOf(scenario({ target: { kind: 'command', argv: ['tool'] }, operations })).keyWithheldFrom).toEqual(['create-order', 'refund']);
  });
});
