/**
 * The built-in counter upstream, served over a real socket and read back from
 * the ledger: every POST is an effect (never idempotent), GET is a read.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createModel, loadModel } from '../../src/upstream/models/index.js';
import { counterModel, type CounterOptions } from '../../src/upstream/models/counter.js';
import { parseScenario } from '../../src/scenario/load.js';
import { TempLedger, UpstreamHarness } from '../helpers/upstream.js';

let harness: UpstreamHarness | undefined;
let ledger: TempLedger | undefined;

function counter(overrides: Partial<CounterOptions> = {}) {
  return counterModel({ path: '/counters/visits', noun: 'increment', ignoreFields: [], ...overrides });
}

async function serve(model = counter()): Promise<{ h: UpstreamHarness; l: TempLedger }> {
  harness = await UpstreamHarness.start(model, { name: 'visits' });
  ledger = new TempLedger();
  return { h: harness, l: ledger };
}

afterEach(async () => {
  try {
    await harness?.close();
  } finally {
    ledger?.close();
    harness = undefined;
    ledger = undefined;
  }
});

describe('counter', () => {
  it('each POST increments and answers the new value: one effect each, even with one key', async () => {
    const { h, l } = await serve();
    const started = h.begin();
    const answers = [
      await h.post('/counters/visits', {}, { headers: { 'idempotency-key': 'k-1' } }),
      await h.post('/counters/visits', {}, { headers: { 'idempotency-key': 'k-1' } }),
      await h.post('/counters/visits', { by: 5 }),
    ];
    const read = await h.get('/counters/visits');
    const rows = await l.store(h, started);

    expect(answers.map((answer) => [answer.status, answer.json])).toEqual([
      [200, { value: 1 }],
      [200, { value: 2 }],
      [200, { value: 7 }],
    ]);
    expect(read.json).toEqual({ value: 7 });
    expect(rows.requests.map((row) => [row.method, row.outcome, row.committed])).toEqual([
      ['POST', 'committed', true],
      ['POST', 'committed', true],
      ['POST', 'committed', true],
      ['GET', 'read', false],
    ]);
    expect(rows.effects.map((effect) => [effect.route, effect.resourceId, effect.key])).toEqual([
      ['POST /counters/visits', '1', 'k-1'],
      ['POST /counters/visits', '2', 'k-1'],
      ['POST /counters/visits', '7', null],
    ]);
    // Two increments of the same request are the same effect, twice: a duplicate to the checks.
    expect(rows.effects[0]!.fingerprint).toBe(rows.effects[1]!.fingerprint);
    expect(rows.effects[2]!.fingerprint).not.toBe(rows.effects[0]!.fingerprint);
  });

  it('an empty body increments by one', async () => {
    const { h, l } = await serve();
    const started = h.begin();
    const answer = await h.send('POST', '/counters/visits');
    const rows = await l.store(h, started);
    expect(answer.json).toEqual({ value: 1 });
    expect(rows.effects).toHaveLength(1);
  });

  it.each([
    ['not JSON', 'one more please'],
    ['not an object', [1]],
    ['a fractional "by"', { by: 1.5 }],
    ['a string "by"', { by: '2' }],
  ])('a body that is %s: 400, rejected, no effect, value unchanged', async (_label, body) => {
    const { h, l } = await serve();
    const started = h.begin();
    const answer = await h.post('/counters/visits', body);
    const read = await h.get('/counters/visits');
    const rows = await l.store(h, started);
    expect(answer.status).toBe(400);
    expect(read.json).toEqual({ value: 0 });
    expect(rows.requests[0]).toMatchObject({ outcome: 'rejected', committed: false, upstreamStatus: 400 });
    expect(rows.effects).toHaveLength(0);
  });

  it('503 after commit: the increment happened though the client was told it did not; a retry is a second effect', async () => {
    const { h, l } = await serve();
    const started = h.begin([h.fault('503-after-commit', 1)]);
    const first = await h.post('/counters/visits', {});
    const retry = await h.post('/counters/visits', {});
    const rows = await l.store(h, started);
    expect([first.status, retry.status]).toEqual([503, 200]);
    expect(retry.json).toEqual({ value: 2 });
    expect(rows.requests.map((row) => [row.fault, row.committed, row.clientStatus])).toEqual([
      ['503-after-commit', true, 503],
      ['none', true, 200],
    ]);
    expect(rows.effects).toHaveLength(2);
  });

  it('each case starts from zero', async () => {
    const { h, l } = await serve();
    const one = h.begin([], 'case-a');
    await h.post('/counters/visits', {});
    await h.post('/counters/visits', {});
    await l.store(h, one);
    const two = h.begin([], 'case-b');
    const answer = await h.post('/counters/visits', {});
    await l.store(h, two);
    expect(answer.json).toEqual({ value: 1 });
  });

  it('another path is not the counter: 404, unmatched', async () => {
    const { h, l } = await serve();
    const started = h.begin();
    const answer = await h.post('/counters/other', {});
    const rows = await l.store(h, started);
    expect(answer.status).toBe(404);
    expect(rows.requests[0]).toMatchObject({ outcome: 'unmatched', committed: false });
  });

  it('neither deduplicates nor offers a look-up (unsafe by construction after a lost answer)', () => {
    expect(counter().traits).toEqual({ deduplicates: false, lookup: false, noun: 'increment', ignoreFields: [] });
  });
});

describe('counter in a scenario', () => {
  const text = (upstream: string): string =>
    `target: {kind: command, argv: [node, tool.mjs]}\nupstreams:\n  visits: ${upstream}\noperations: [{name: hit}]\n`;

  it('has defaults for path and noun, and builds through createModel and loadModel', async () => {
    const scenario = parseScenario(text('{model: counter}'), path.join(process.cwd(), 'scenario.yaml'));
    const spec = scenario.upstreams.visits!;
    expect(spec).toEqual({ model: 'counter', path: '/counter', noun: 'increment', ignoreFields: [] });
    expect(createModel(spec).traits.noun).toBe('increment');
    const loaded = await loadModel(spec, { upstream: 'visits', scenario });
    expect(loaded.traits).toEqual({ deduplicates: false, lookup: false, noun: 'increment', ignoreFields: [] });
  });

  it('refuses fields it does not have', () => {
    expect(() => parseScenario(text('{model: counter, honoursIdempotencyKey: true}'), 'scenario.yaml')).toThrow(
      /honoursIdempotencyKey/,
    );
  });
});
