import { describe, expect, it } from 'vitest';
import { replayCommitsNothing } from '../../../src/checks/effects/replay-commits-nothing.js';
import { caseInput, effect, invocation, KEY, request } from '../rows.js';

const evaluate = (spec: Parameters<typeof caseInput>[0]) => replayCommitsNothing.evaluate(caseInput(spec));
const replay = (id: number, overrides: Parameters<typeof invocation>[1] = {}) => invocation(id, { role: 'replay', effect: 'noop', ...overrides });

describe('replay-commits-nothing', () => {
  it('is skipped when there was no replay', () => {
    expect(evaluate({ invocations: [invocation(1)], requests: [request(1, 1)], effects: [effect(1, 1)] }).status).toBe('skip');
  });

  it('passes a replay the upstream answered from its key store, whatever it says', () => {
    const result = evaluate({
      invocations: [invocation(1), replay(2, { effect: 'created' })],
      requests: [request(1, 1), request(2, 2, { committed: false, outcome: 'replayed' })],
      effects: [effect(1, 1)],
    });
    expect(result.status).toBe('pass');
    expect(result.message).toBe(`create-order: the replay with key ${KEY} committed nothing (1 upstream request)`);
  });

  it('fails a replay that charged again, even one that says noop, naming the effect, its request and the invocation', () => {
    const result = evaluate({
      invocations: [invocation(1), replay(2)],
      requests: [request(1, 1), request(2, 2)],
      effects: [effect(1, 1), effect(2, 2)],
    });
    expect(result.status).toBe('fail');
    expect(result.message).toBe(`create-order: the replay with key ${KEY} (invocation 2) committed effect 2 (cha_2, request 2, key ${KEY})`);
    expect(result.evidence).toEqual({ invocations: [2], requests: [2], effects: [2] });
  });

  it('says why it did not judge, and counts the requests of a replay that committed nothing', () => {
    expect(evaluate({ invocations: [invocation(1)] })).toEqual({ check: 'replay-commits-nothing', status: 'skip', message: 'create-order: no replay (the operation never succeeded, or replay is off)' });
    expect(evaluate({ invocations: [invocation(1), replay(2)], requests: [request(1, 1)], effects: [effect(1, 1)] }).message).toBe(
      `create-order: the replay with key ${KEY} committed nothing (0 upstream requests)`,
    );
  });

  it('names every effect a replay committed', () => {
    const result = evaluate({ invocations: [invocation(1), replay(2)], requests: [request(1, 1), request(2, 2), request(3, 2)], effects: [effect(1, 1), effect(2, 2), effect(3, 3)] });
    expect(result.message).toBe(`create-order: the replay with key ${KEY} (invocation 2) committed effect 2 (cha_2, request 2, key ${KEY}); effect 3 (cha_3, request 3, key ${KEY})`);
    expect(result.evidence).toEqual({ invocations: [2], requests: [2, 3], effects: [2, 3] });
  });

  it('judges what a faulted replay committed too', () => {
    const result = evaluate({
      invocations: [invocation(1), replay(2, { exitCode: 75, effect: 'unknown' })],
      requests: [request(1, 1), request(2, 2, { fault: '503-after-commit', clientStatus: 503 })],
      effects: [effect(1, 1), effect(2, 2)],
    });
    expect(result.status).toBe('fail');
  });
});
