/**
 * Two cases open on one pipeline (src/runner/overlap.ts): the case before,
 * handed over and settling, and the running one. Each request goes to the
 * case whose caller's key it carries and is served by that case's own model
 * instance; one that could be either's is a conflict for both, as is a fault
 * that would act on both.
 */
import { describe, expect, it } from 'vitest';
import { callerKey, callerKeyDigest, digestOfCallerKey } from '../../src/caller/keys.js';
import type { FaultBinding } from '../../src/core/schedule.js';
import { CaseRecorder } from '../../src/runner/recorder.js';
import { UpstreamPipeline, type UpstreamSession } from '../../src/upstream/pipeline.js';
import { charges } from '../helpers/upstream.js';

interface OpenCase {
  id: string;
  recorder: CaseRecorder;
  session: UpstreamSession;
  conflicts: string[];
}

function openCase(id: string, faults: FaultBinding[] = []): OpenCase {
  const recorder = new CaseRecorder(id, 'pay');
  const conflicts: string[] = [];
  const own = callerKeyDigest('overlap', id);
  const session: UpstreamSession = {
    faults,
    recorder,
    crashTarget: () => undefined,
    ownsKey: (key) => {
      const digest = digestOfCallerKey(key);
      return digest === undefined ? undefined : digest === own;
    },
    overlapConflict: (why) => conflicts.push(why),
  };
  return { id, recorder, session, conflicts };
}

const keyOf = (c: OpenCase, n = 1) => callerKey('overlap', c.id, n);

async function post(pipeline: UpstreamPipeline, body: object, key?: string): Promise<number> {
  const result = await pipeline.handleRaw({
    method: 'POST',
    url: '/charges',
    host: '127.0.0.1',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: Buffer.from(JSON.stringify(body)),
  });
  const status = result.outcome.kind === 'plain' ? result.outcome.plain.status : result.outcome.kind === 'respond' ? result.outcome.response.status : null;
  result.delivered('response', status);
  return status ?? 0;
}

function twoInstances(): UpstreamPipeline {
  return new UpstreamPipeline('payments', charges({ honoursIdempotencyKey: true }), [charges({ honoursIdempotencyKey: true })]);
}

describe('a case settling while the next runs', () => {
  it('gets its own late keyed request, served from its own state: a replay of its key is a replay, not a second charge', async () => {
    const pipeline = twoInstances();
    const first = openCase('case-1');
    pipeline.beginCase(first.session);
    expect(await post(pipeline, { amount: 1 }, keyOf(first))).toBe(201);
    pipeline.handOver();
    const second = openCase('case-2');
    pipeline.beginCase(second.session);
    expect(await post(pipeline, { amount: 2 }, keyOf(second))).toBe(201);
    // The first case's late retry with its key, after the second began: the second's model never saw that key.
    expect(await post(pipeline, { amount: 1 }, keyOf(first))).toBe(201);
    pipeline.endCase(first.session);
    pipeline.endCase(second.session);

    const firstRows = first.recorder.finish(new Map());
    const secondRows = second.recorder.finish(new Map());
    expect(firstRows.requests.map((row) => [row.ordinal, row.outcome])).toEqual([
      [1, 'committed'],
      [2, 'replayed'],
    ]);
    expect(firstRows.effects).toHaveLength(1);
    expect(secondRows.requests.map((row) => row.ordinal)).toEqual([1]);
    expect(secondRows.effects).toHaveLength(1);
    expect([...first.conflicts, ...second.conflicts]).toEqual([]);
  });

  it('makes a request without a caller key a conflict for both cases (it could be either\'s)', async () => {
    const pipeline = twoInstances();
    const first = openCase('case-1');
    pipeline.beginCase(first.session);
    pipeline.handOver();
    const second = openCase('case-2');
    pipeline.beginCase(second.session);
    await post(pipeline, { amount: 5 });
    expect(first.conflicts).toEqual(['a request without an Idempotency-Key']);
    expect(second.conflicts).toEqual(['a request without an Idempotency-Key']);
    // A key the target made itself is no caller's either.
    await post(pipeline, { amount: 5 }, 'order-77');
    expect(second.conflicts[1]).toContain('"order-77" is not the caller\'s');
  });

  it('without a case running, a key-less late request is simply the settling case\'s (no conflict)', async () => {
    const pipeline = twoInstances();
    const only = openCase('case-1');
    pipeline.beginCase(only.session);
    pipeline.handOver();
    expect(await post(pipeline, { amount: 1 })).toBe(201);
    expect(only.recorder.requests).toHaveLength(1);
    expect(only.conflicts).toEqual([]);
    expect(pipeline.inFlight(only.session)).toBe(0);
  });

  it('sends a third case\'s key to the strays, and counts it in neither open case', async () => {
    const pipeline = twoInstances();
    const strays = new CaseRecorder('lane-1/strays', '');
    pipeline.serveStrays(() => ({ faults: [], recorder: strays, crashTarget: () => undefined }));
    const first = openCase('case-1');
    pipeline.beginCase(first.session);
    pipeline.handOver();
    const second = openCase('case-2');
    pipeline.beginCase(second.session);
    await post(pipeline, { amount: 9 }, keyOf(openCase('case-0')));
    expect(strays.requests).toHaveLength(1);
    expect(first.recorder.requests.length + second.recorder.requests.length).toBe(0);
    expect([...first.conflicts, ...second.conflicts]).toEqual([]);
  });

  it('applies a fault to the settling case\'s late request as its own, and makes a crash while two are open a conflict', async () => {
    const pipeline = twoInstances();
    const first = openCase('case-1', [{ upstream: 'payments', ordinal: 2, fault: '503-before-commit' }, { upstream: 'payments', ordinal: 3, fault: 'crash-before-commit' }]);
    pipeline.beginCase(first.session);
    await post(pipeline, { amount: 1 }, keyOf(first));
    pipeline.handOver();
    const second = openCase('case-2');
    pipeline.beginCase(second.session);
    await post(pipeline, { amount: 2 }, keyOf(second));
    // The settling case's own request #2, and its fault: only that connection sees it.
    expect(await post(pipeline, { amount: 1 }, keyOf(first))).toBe(503);
    expect(first.recorder.requests.map((row) => [row.ordinal, row.fault])).toEqual([
      [1, 'none'],
      [2, '503-before-commit'],
    ]);
    expect([...first.conflicts, ...second.conflicts]).toEqual([]);
    // Its request #3 would kill the API the running case is using.
    await pipeline.handleRaw({ method: 'POST', url: '/charges', host: undefined, headers: { 'idempotency-key': keyOf(first, 2) }, body: Buffer.from('{"amount":1}') });
    expect(first.conflicts).toEqual(['a fault that stops the API (crash-before-commit) while 2 cases were open']);
    expect(second.conflicts).toEqual(first.conflicts);
  });

  it('with three cases settling, sends each keyed request to its own and makes a key-less one a conflict for all four', async () => {
    const pipeline = new UpstreamPipeline('payments', charges({ honoursIdempotencyKey: true }), [1, 2, 3].map(() => charges({ honoursIdempotencyKey: true })));
    expect(pipeline.maxSettling).toBe(3);
    const cases = [1, 2, 3, 4].map((n) => openCase(`case-${n}`));
    for (const [i, open] of cases.entries()) {
      pipeline.beginCase(open.session);
      expect(await post(pipeline, { amount: i }, keyOf(open))).toBe(201);
      if (i < 3) pipeline.handOver();
    }
    // Late keyed retries of each settling case: replays from each one's own model instance.
    for (const [i, open] of cases.slice(0, 3).entries()) expect(await post(pipeline, { amount: i }, keyOf(open))).toBe(201);
    expect(cases.map((open) => open.recorder.requests.map((row) => row.outcome))).toEqual([['committed', 'replayed'], ['committed', 'replayed'], ['committed', 'replayed'], ['committed']]);
    await post(pipeline, { amount: 9 });
    expect(cases.map((open) => open.conflicts)).toEqual(cases.map(() => ['a request without an Idempotency-Key']));
    pipeline.endCase(cases[0]!.session);
    expect(pipeline.inFlight(cases[1]!.session)).toBe(0);
  });

  it('refuses more settling cases than it has spare model instances, and one with none cannot overlap at all', () => {
    const pipeline = twoInstances();
    expect(pipeline.canOverlap).toBe(true);
    pipeline.beginCase(openCase('a').session);
    pipeline.handOver();
    pipeline.beginCase(openCase('b').session);
    expect(() => pipeline.handOver()).toThrow(/while 1 were still settling \(at most 1\)/);
    expect(new UpstreamPipeline('payments', charges()).canOverlap).toBe(false);
  });
});
