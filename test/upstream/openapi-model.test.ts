/**
 * The `model: openapi` upstream on a small document (test/fixtures/openapi/
 * shop.yaml), served over a real socket: documented answers, which requests
 * are effects, keys where declared, the base path, and the exit-2 messages
 * for a missing document, a non-OpenAPI file and an unknown operation.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RetryproofError } from '../../src/errors.js';
import { loadOpenApiModel } from '../../src/upstream/models/openapi-load.js';
import { UpstreamHarness, TempLedger } from '../helpers/upstream.js';
import { fixture, writeScenario } from '../helpers/scenario.js';

let harness: UpstreamHarness | undefined;
let ledger: TempLedger | undefined;
afterEach(async () => {
  try {
    await harness?.close();
  } finally {
    ledger?.close();
    harness = undefined;
    ledger = undefined;
  }
});

const SHOP = fixture('openapi', 'shop.yaml');
const origin = { upstream: 'shop', scenario: { dir: path.dirname(SHOP), file: 'scenario.yaml' } };

async function serve(overrides: { honoursIdempotencyKey?: boolean; operations?: Record<string, { honoursIdempotencyKey?: boolean }> } = {}) {
  const model = await loadOpenApiModel(
    { model: 'openapi', document: 'shop.yaml', honoursIdempotencyKey: false, operations: {}, noun: 'order', ignoreFields: [], ...overrides },
    origin,
  );
  harness = await UpstreamHarness.start(model, { name: 'shop' });
  ledger = new TempLedger();
  return { h: harness, l: ledger };
}

describe('model: openapi answers', () => {
  it('a POST answers its documented example with a fresh id and is an effect; GETs are not', async () => {
    const { h, l } = await serve();
    const started = h.begin();
    const first = await h.post('/orders', { item: 'book' });
    const second = await h.post('/orders', { item: 'book' });
    const one = await h.get('/orders/42');
    const rows = await l.store(h, started);

    expect(first.status).toBe(201);
    expect(first.json).toEqual({ id: 'ord_1_1', item: 'book', status: 'open' });
    expect((second.json as { id: string }).id).toBe('ord_1_2');
    // No example: generated from the schema's own property examples.
    expect(one.status).toBe(200);
    expect(one.json).toEqual({ id: 7, item: 'pen' });
    expect(rows.effects.map((effect) => [effect.route, effect.resourceId])).toEqual([
      ['POST /orders', 'ord_1_1'],
      ['POST /orders', 'ord_1_2'],
    ]);
    expect(rows.requests.map((row) => row.committed)).toEqual([true, true, false]);
  });

  it('a literal path wins over a template; the server URL\'s base path is accepted; a 204 has no body', async () => {
    const { h, l } = await serve();
    const started = h.begin();
    const search = await h.get('/orders/search');
    const based = await h.get('/v1/orders/9');
    const cancelled = await h.send('DELETE', '/orders/9');
    const unknown = await h.get('/invoices');
    const rows = await l.store(h, started);

    expect(search.json).toEqual([{ id: 7, item: 'pen' }]);
    expect(based.json).toEqual({ id: 7, item: 'pen' });
    expect(cancelled.status).toBe(204);
    expect(cancelled.text).toBe('');
    expect(unknown.status).toBe(404);
    expect(rows.effects.map((effect) => effect.route)).toEqual(['DELETE /orders/9']);
  });

  it('without a declared key policy a repeated key is a second effect', async () => {
    const { h, l } = await serve();
    const started = h.begin();
    await h.post('/orders', { item: 'book' }, { headers: { 'idempotency-key': 'k1' } });
    await h.post('/orders', { item: 'book' }, { headers: { 'idempotency-key': 'k1' } });
    expect((await l.store(h, started)).effects).toHaveLength(2);
  });

  it('an operation declared to honour Idempotency-Key replays, and refuses other parameters with 422', async () => {
    const { h, l } = await serve({ operations: { createOrder: { honoursIdempotencyKey: true } } });
    const started = h.begin();
    const first = await h.post('/orders', { item: 'book' }, { headers: { 'idempotency-key': 'k1' } });
    const replay = await h.post('/orders', { item: 'book' }, { headers: { 'idempotency-key': 'k1' } });
    const other = await h.post('/orders', { item: 'pen' }, { headers: { 'idempotency-key': 'k1' } });
    const rows = await l.store(h, started);

    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json).toEqual(first.json);
    expect(other.status).toBe(422);
    expect(rows.requests.map((row) => row.outcome)).toEqual(['committed', 'replayed', 'rejected']);
    expect(rows.effects).toHaveLength(1);
  });
});

it('a document split over two files is dereferenced by the library', async () => {
  const written = writeScenario('x', 'unused');
  try {
    writeFileSync(path.join(written.dir, 'order.yaml'), 'type: object\nproperties:\n  sku: { type: string, example: abc-1 }\n');
    writeFileSync(
      path.join(written.dir, 'split.yaml'),
      "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /orders:\n    post:\n      responses:\n        '200':\n          description: ok\n          content: {application/json: {schema: {$ref: 'order.yaml'}}}\n",
    );
    const model = await loadOpenApiModel(
      { model: 'openapi', document: 'split.yaml', honoursIdempotencyKey: false, operations: { 'POST /orders': { honoursIdempotencyKey: true } }, noun: 'order', ignoreFields: [] },
      { upstream: 'shop', scenario: { dir: written.dir, file: 'scenario.yaml' } },
    );
    harness = await UpstreamHarness.start(model, { name: 'shop' });
    harness.begin();
    expect((await harness.post('/orders', {})).json).toEqual({ sku: 'abc-1' });
  } finally {
    written.cleanup();
  }
});

describe('model: openapi bad input (exit 2, naming the field)', () => {
  async function failure(spec: Record<string, unknown>, dir = path.dirname(SHOP)): Promise<RetryproofError> {
    const error = await loadOpenApiModel(
      { model: 'openapi', document: 'shop.yaml', honoursIdempotencyKey: false, operations: {}, noun: 'order', ignoreFields: [], ...spec } as never,
      { upstream: 'shop', scenario: { dir, file: 'scenario.yaml' } },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryproofError);
    return error as RetryproofError;
  }

  it('a missing document', async () => {
    const error = await failure({ document: 'nope.yaml' });
    expect(error.where).toEqual({ file: 'scenario.yaml', field: 'upstreams.shop.document' });
    expect(error.message).toMatch(/nope\.yaml does not exist/);
  });

  it('a file that is not OpenAPI 3', async () => {
    const written = writeScenario('swagger: "2.0"\ninfo: {title: t, version: "1"}\npaths: {}\n', 'old');
    try {
      const error = await failure({ document: 'old.yaml' }, written.dir);
      expect(error.where.field).toBe('upstreams.shop.document');
      expect(error.message).toMatch(/not an OpenAPI 3 document/);
    } finally {
      written.cleanup();
    }
  });

  it('a broken document', async () => {
    const written = writeScenario('x', 'broken');
    try {
      writeFileSync(path.join(written.dir, 'broken.yaml'), 'openapi: 3.0.0\npaths: [unclosed\n');
      const error = await failure({ document: 'broken.yaml' }, written.dir);
      expect(error.message).toMatch(/cannot read the OpenAPI document/);
    } finally {
      written.cleanup();
    }
  });

  it('an operation the document does not have, with the names near it', async () => {
    const error = await failure({ operations: { createOrdr: { honoursIdempotencyKey: true } } });
    expect(error.where.field).toBe('upstreams.shop.operations.createOrdr');
    expect(error.message).toMatch(/no operation "createOrdr" \(near: createOrder\)/);
  });
});
