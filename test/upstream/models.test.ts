/**
 * The built-in upstream models, served over a real socket: the resource creator
 * (with and without Idempotency-Key support, and its look-up) and the mailer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseIdempotencyKey } from '../../src/upstream/idempotency-key.js';
import { charges, mailer, TempLedger, UpstreamHarness } from '../helpers/upstream.js';

let harness: UpstreamHarness | undefined;
let ledger: TempLedger | undefined;

async function serve(model: Parameters<typeof UpstreamHarness.start>[0]): Promise<{ h: UpstreamHarness; l: TempLedger }> {
  harness = await UpstreamHarness.start(model);
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

const key = (value: string) => ({ headers: { 'idempotency-key': value } });

describe('resource that honours Idempotency-Key', () => {
  it('same key, same body: replayed, no new effect, same id, Idempotent-Replayed: true', async () => {
    const { h, l } = await serve(charges({ honoursIdempotencyKey: true }));
    const started = h.begin();
    const first = await h.post('/charges', { amount: 100 }, key('k-1'));
    const second = await h.post('/charges', { amount: 100 }, key('k-1'));
    const rows = await l.store(h, started);

    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json).toEqual(first.json);
    expect((second.json as { id: string }).id).toBe('cha_1');

    expect(rows.requests.map((row) => [row.outcome, row.committed])).toEqual([
      ['committed', true],
      ['replayed', false],
    ]);
    expect(rows.effects).toHaveLength(1);
    expect(rows.effects[0]).toMatchObject({ key: 'k-1', resourceId: 'cha_1', requestId: 1 });
  });

  it('same key, another body: 422, rejected, no new effect', async () => {
    const { h, l } = await serve(charges({ honoursIdempotencyKey: true }));
    const started = h.begin();
    await h.post('/charges', { amount: 100 }, key('k-1'));
    const mismatch = await h.post('/charges', { amount: 200 }, key('k-1'));
    const rows = await l.store(h, started);

    expect(mismatch.status).toBe(422);
    expect(mismatch.headers['idempotent-replayed']).toBeUndefined();
    expect(rows.requests[1]).toMatchObject({ outcome: 'rejected', committed: false, upstreamStatus: 422, clientStatus: 422 });
    expect(rows.effects).toHaveLength(1);
  });

  it('different keys: two effects', async () => {
    const { h, l } = await serve(charges({ honoursIdempotencyKey: true }));
    const started = h.begin();
    const a = await h.post('/charges', { amount: 100 }, key('k-1'));
    const b = await h.post('/charges', { amount: 100 }, key('k-2'));
    const rows = await l.store(h, started);
    expect([a.json, b.json]).toMatchObject([{ id: 'cha_1' }, { id: 'cha_2' }]);
    expect(rows.effects.map((effect) => effect.key)).toEqual(['k-1', 'k-2']);
  });

  it.each([
    ['bare first, quoted second', 'abc', '"abc"'],
    ['quoted first, bare second', '"abc"', 'abc'],
  ])('the quoted Structured-Field form and the bare form are one key (%s)', async (_label, firstKey, secondKey) => {
    const { h, l } = await serve(charges({ honoursIdempotencyKey: true }));
    const started = h.begin();
    const first = await h.post('/charges', { amount: 100 }, key(firstKey));
    const second = await h.post('/charges', { amount: 100 }, key(secondKey));
    const rows = await l.store(h, started);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect((second.json as { id: string }).id).toBe((first.json as { id: string }).id);
    expect(rows.requests.map((row) => row.idempotencyKey)).toEqual(['abc', 'abc']);
    expect(rows.requests[1]!.outcome).toBe('replayed');
    expect(rows.effects).toHaveLength(1);
  });

  it('a replay after 503-after-commit returns the committed record without a second effect', async () => {
    const { h, l } = await serve(charges({ honoursIdempotencyKey: true }));
    const started = h.begin([h.fault('503-after-commit')]);
    const lost = await h.post('/charges', { amount: 100 }, key('k-1'));
    const retry = await h.post('/charges', { amount: 100 }, key('k-1'));
    const rows = await l.store(h, started);
    expect(lost.status).toBe(503);
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(rows.effects).toHaveLength(1);
  });
});

describe('resource that ignores Idempotency-Key', () => {
  it('same key twice: two effects, two ids, no replay header', async () => {
    const { h, l } = await serve(charges({ honoursIdempotencyKey: false }));
    const started = h.begin();
    const first = await h.post('/charges', { amount: 100 }, key('k-1'));
    const second = await h.post('/charges', { amount: 100 }, key('k-1'));
    const rows = await l.store(h, started);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect([first.json, second.json]).toMatchObject([{ id: 'cha_1' }, { id: 'cha_2' }]);
    expect(rows.requests.map((row) => row.outcome)).toEqual(['committed', 'committed']);
    expect(rows.effects.map((effect) => effect.resourceId)).toEqual(['cha_1', 'cha_2']);
  });

  it('same key with another body: no 422, a second effect', async () => {
    const { h, l } = await serve(charges({ honoursIdempotencyKey: false }));
    const started = h.begin();
    await h.post('/charges', { amount: 100 }, key('k-1'));
    const other = await h.post('/charges', { amount: 200 }, key('k-1'));
    const rows = await l.store(h, started);
    expect(other.status).toBe(201);
    expect(rows.effects).toHaveLength(2);
  });
});

describe('resource records', () => {
  it('keep every field of the body in its order, its id overridden, a field named __proto__ a field', async () => {
    const { h, l } = await serve(charges());
    const started = h.begin();
    const created = await h.post('/charges', '{"__proto__":{"admin":true},"id":"mine","amount":10}');
    await l.store(h, started);
    expect(created.text).toMatch(/^\{"__proto__":\{"admin":true\},"id":"cha_1","amount":10,"idempotencyKey":null,"created":"[^"]+"\}$/);
  });
});

describe('resource look-up: GET path?ref=', () => {
  it.each([false, true])('finds records by the client reference field and by key (honoursIdempotencyKey %s)', async (honours) => {
    const { h, l } = await serve(charges({ honoursIdempotencyKey: honours, clientRefField: 'orderRef' }));
    const started = h.begin();
    await h.post('/charges', { amount: 100, orderRef: 'order-1' }, key('"k-1"'));
    await h.post('/charges', { amount: 200, orderRef: 'order-2' }, key('k-2'));
    const byRef = await h.get('/charges?ref=order-1');
    const byKey = await h.get('/charges?ref=k-1');
    const byOtherKey = await h.get('/charges?ref=k-2');
    const none = await h.get('/charges?ref=order-3');
    const all = await h.get('/charges');
    const one = await h.get('/charges/cha_2');
    const missing = await h.get('/charges/cha_9');
    const rows = await l.store(h, started);

    const ids = (result: typeof byRef) => (result.json as { data: { id: string }[] }).data.map((record) => record.id);
    expect(byRef.status).toBe(200);
    expect(ids(byRef)).toEqual(['cha_1']);
    expect(ids(byKey)).toEqual(['cha_1']);
    expect(ids(byOtherKey)).toEqual(['cha_2']);
    expect(ids(none)).toEqual([]);
    expect(ids(all)).toEqual(['cha_1', 'cha_2']);
    expect(one.json).toMatchObject({ id: 'cha_2', amount: 200, orderRef: 'order-2' });
    expect(missing.status).toBe(404);

    // Look-ups are reads: recorded, never effects.
    expect(rows.requests.slice(2).every((row) => row.outcome === 'read' && !row.committed)).toBe(true);
    expect(rows.effects).toHaveLength(2);
  });

  it('the field that is looked up is the configured one', async () => {
    const { h } = await serve(charges({ clientRefField: 'invoice' }));
    h.begin();
    await h.post('/charges', { amount: 100, orderRef: 'order-1', invoice: 'inv-7' });
    const byInvoice = await h.get('/charges?ref=inv-7');
    const byOtherField = await h.get('/charges?ref=order-1');
    expect((byInvoice.json as { data: unknown[] }).data).toHaveLength(1);
    expect((byOtherField.json as { data: unknown[] }).data).toHaveLength(0);
  });
});

describe('mailer', () => {
  it('two POSTs, even with one key: two effects', async () => {
    const { h, l } = await serve(mailer());
    const started = h.begin();
    const first = await h.post('/messages', { to: 'a@example.com', subject: 'hi' }, key('k-1'));
    const second = await h.post('/messages', { to: 'a@example.com', subject: 'hi' }, key('k-1'));
    const rows = await l.store(h, started);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect([first.json, second.json]).toMatchObject([{ id: 'msg_1' }, { id: 'msg_2' }]);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(rows.requests.map((row) => row.outcome)).toEqual(['committed', 'committed']);
    expect(rows.effects).toHaveLength(2);
    expect(rows.effects.map((effect) => effect.route)).toEqual(['POST /messages', 'POST /messages']);
    expect(rows.effects[0]!.fingerprint).toBe(rows.effects[1]!.fingerprint);
  });

  it('GET is not a look-up: 404, unmatched, nothing found', async () => {
    const { h, l } = await serve(mailer());
    const started = h.begin();
    await h.post('/messages', { to: 'a@example.com', ref: 'm-1' });
    const lookup = await h.get('/messages?ref=m-1');
    const rows = await l.store(h, started);
    expect(lookup.status).toBe(404);
    expect(lookup.json).not.toHaveProperty('data');
    expect(rows.requests[1]).toMatchObject({ method: 'GET', outcome: 'unmatched', committed: false });
    expect(rows.effects).toHaveLength(1);
  });

  it('says it neither deduplicates nor offers a look-up; the resource says what it does', () => {
    expect(mailer().traits).toMatchObject({ deduplicates: false, lookup: false });
    expect(charges({ honoursIdempotencyKey: true }).traits).toMatchObject({ deduplicates: true, lookup: true });
    expect(charges({ honoursIdempotencyKey: false }).traits).toMatchObject({ deduplicates: false, lookup: true });
  });
});

describe('parseIdempotencyKey', () => {
  it.each([
    ['abc', 'abc'],
    ['"abc"', 'abc'],
    ['  abc  ', 'abc'],
    [' "abc" ', 'abc'],
    ['"a\\"b\\\\c"', 'a"b\\c'],
    ['"', '"'],
  ])('%j is the key %j', (header, expected) => {
    expect(parseIdempotencyKey(header)).toBe(expected);
  });

  it('no header, no key', () => {
    expect(parseIdempotencyKey(null)).toBeNull();
    expect(parseIdempotencyKey(undefined)).toBeNull();
  });
});
