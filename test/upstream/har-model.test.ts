/**
 * The `model: har` upstream, served over a real socket: which recorded
 * exchange answers a request (method, path, query in any order, body where
 * the recording is ambiguous, recorded order), which answers are effects,
 * keys where declared, an origin filter, and what no recording matches.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedExchange } from '../../src/upstream/models/har-file.js';
import { harModel, type HarOptions } from '../../src/upstream/models/har.js';
import { TempLedger, UpstreamHarness } from '../helpers/upstream.js';

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

let index = 0;
function exchange(method: string, url: string, status: number, answer: unknown, requestBody?: unknown): RecordedExchange {
  return {
    index: index++,
    method,
    url: new URL(url),
    requestHeaders: [],
    requestText: requestBody === undefined ? '' : JSON.stringify(requestBody),
    requestType: requestBody === undefined ? null : 'application/json',
    status,
    responseHeaders: [{ name: 'Content-Type', value: 'application/json' }, { name: 'Content-Length', value: '999' }],
    responseBody: Buffer.from(JSON.stringify(answer)),
  };
}

const RECORDING = [
  exchange('POST', 'https://api.shop.example/orders', 201, { id: 'ord_1' }, { item: 'book' }),
  exchange('POST', 'https://api.shop.example/orders', 201, { id: 'ord_2' }, { item: 'book' }),
  exchange('POST', 'https://api.shop.example/orders', 201, { id: 'ord_3' }, { item: 'pen' }),
  exchange('GET', 'https://api.shop.example/orders?status=open&page=2', 200, [{ id: 'ord_1' }]),
  exchange('POST', 'https://api.shop.example/refunds', 402, { error: 'card declined' }, { order: 'ord_1' }),
  exchange('POST', 'https://audit.example/events', 201, { id: 'ev_1' }, { kind: 'order' }),
];

async function serve(overrides: Partial<HarOptions> = {}) {
  harness = await UpstreamHarness.start(harModel({ exchanges: RECORDING, honoursIdempotencyKey: false, noun: 'order', ignoreFields: [], ...overrides }), { name: 'shop' });
  ledger = new TempLedger();
  return { h: harness, l: ledger };
}

const idOf = (json: unknown) => (json as { id: string }).id;

describe('model: har', () => {
  it('answers in recorded order, told apart by body where the recording is ambiguous; 2xx mutating answers are effects', async () => {
    const { h, l } = await serve();
    const started = h.begin();
    const book1 = await h.post('/orders', { item: 'book' });
    const pen = await h.post('/orders', { item: 'pen' });
    const book2 = await h.post('/orders', { item: 'book' });
    const book3 = await h.post('/orders', { item: 'book' });
    const list = await h.get('/orders?page=2&status=open');
    const refund = await h.post('/refunds', { order: 'ord_1' });
    const rows = await l.store(h, started);

    expect([book1, pen, book2, book3].map((answer) => idOf(answer.json))).toEqual(['ord_1', 'ord_3', 'ord_2', 'ord_2']);
    expect(book1.status).toBe(201);
    expect(list.json).toEqual([{ id: 'ord_1' }]);
    expect(refund.status).toBe(402);
    expect(rows.effects.map((effect) => effect.resourceId)).toEqual(['ord_1', 'ord_3', 'ord_2', 'ord_2']);
    expect(rows.requests.map((row) => row.committed)).toEqual([true, true, true, true, false, false]);
  });

  it('a request no recording holds is unmatched (404); an origin keeps only its own exchanges', async () => {
    const { h, l } = await serve({ origin: 'https://api.shop.example' });
    const started = h.begin();
    expect((await h.get('/orders?status=closed')).status).toBe(404);
    expect((await h.post('/events', { kind: 'order' })).status).toBe(404);
    expect((await l.store(h, started)).effects).toHaveLength(0);
  });

  it('a reset starts the recorded order again (each case from the first answer)', async () => {
    const { h } = await serve();
    h.begin();
    await h.post('/orders', { item: 'book' });
    h.pipeline.endCase();
    h.begin();
    expect(idOf((await h.post('/orders', { item: 'book' })).json)).toBe('ord_1');
  });

  it('with honoursIdempotencyKey a repeated key gets the first answer again and no effect; without, a second effect', async () => {
    for (const honours of [true, false]) {
      const { h, l } = await serve({ honoursIdempotencyKey: honours });
      const started = h.begin();
      const first = await h.post('/orders', { item: 'book' }, { headers: { 'idempotency-key': 'k1' } });
      const second = await h.post('/orders', { item: 'book' }, { headers: { 'idempotency-key': 'k1' } });
      const rows = await l.store(h, started);
      expect(idOf(first.json)).toBe('ord_1');
      expect(idOf(second.json)).toBe(honours ? 'ord_1' : 'ord_2');
      expect(second.headers['idempotent-replayed']).toBe(honours ? 'true' : undefined);
      expect(rows.effects).toHaveLength(honours ? 1 : 2);
      await h.close();
      l.close();
      harness = undefined;
      ledger = undefined;
    }
  });
});
