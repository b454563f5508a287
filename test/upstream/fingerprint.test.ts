/**
 * Effect fingerprints: what differs from run to run (generated ids, timestamps,
 * time-named fields, ignored fields, the case's keys) is left out; everything
 * else counts.
 */
import { describe, expect, it } from 'vitest';
import { CaseRecorder } from '../../src/runner/recorder.js';
import { fingerprint, normaliseBody, type FingerprintOptions } from '../../src/upstream/fingerprint.js';
import type { UpstreamTraits } from '../../src/upstream/model.js';

const plain: FingerprintOptions = { keys: [], ignoreFields: [] };

function print(body: unknown, options: FingerprintOptions = plain, route = 'POST /charges', upstream = 'payments'): string {
  return fingerprint(upstream, route, normaliseBody(typeof body === 'string' ? body : JSON.stringify(body), options));
}

describe('left out of the fingerprint', () => {
  it('uuids (any case, nested, in arrays)', () => {
    const a = { amount: 100, id: '3f2a6c1e-8b4d-4e2a-9c3b-1d2e3f4a5b6c', items: [{ ref: '00000000-0000-4000-8000-000000000000' }] };
    const b = { amount: 100, id: 'A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D', items: [{ ref: 'ffffffff-ffff-4fff-bfff-ffffffffffff' }] };
    expect(print(a)).toBe(print(b));
  });

  it('ISO timestamps, whatever field holds them', () => {
    const values = ['2024-01-01T10:00:00Z', '2025-06-30T23:59:59.123+02:00', '2023-12-31 00:00', '2026-02-03T04:05:06.789012-0500'];
    const prints = values.map((at) => print({ amount: 100, at, nested: { when: at } }));
    expect(new Set(prints).size).toBe(1);
  });

  it.each(['timestamp', 'ts', 'time', 'date', 'created', 'created_at', 'createdAt', 'updated_at', 'updatedAt', 'sent_at', 'sentAt', 'now'])(
    'a field named %s, whatever it holds',
    (field) => {
      expect(print({ amount: 100, [field]: 1700000000 })).toBe(print({ amount: 100, [field]: 1800000000 }));
      expect(print({ amount: 100, [field]: 'monday' })).toBe(print({ amount: 100 }));
    },
  );

  it("the scenario's ignoreFields, at any depth", () => {
    const options = { keys: [], ignoreFields: ['nonce'] };
    expect(print({ amount: 100, nonce: 'a', meta: { nonce: 1 } }, options)).toBe(print({ amount: 100, nonce: 'b', meta: { nonce: 2 } }, options));
    // Without the setting, the field counts.
    expect(print({ amount: 100, nonce: 'a' })).not.toBe(print({ amount: 100, nonce: 'b' }));
  });

  it("the case's keys, whole or inside a string, in JSON and in plain text", () => {
    const options = { keys: ['rp-key-1', 'rp-key-2'], ignoreFields: [] };
    expect(print({ amount: 100, reference: 'rp-key-1' }, options)).toBe(print({ amount: 100, reference: 'rp-key-2' }, options));
    expect(print({ amount: 100, description: 'order for rp-key-1' }, options)).toBe(
      print({ amount: 100, description: 'order for rp-key-2' }, options),
    );
    expect(print('send rp-key-1 now', options)).toBe(print('send rp-key-2 now', options));
    // Keys that are not the case's count.
    expect(print({ amount: 100, reference: 'rp-key-1' })).not.toBe(print({ amount: 100, reference: 'rp-key-2' }));
  });

  it('a key that contains another is replaced whole', () => {
    const options = { keys: ['k1', 'k1-long'], ignoreFields: [] };
    expect(normaliseBody(JSON.stringify({ reference: 'k1-long' }), options)).toBe(JSON.stringify({ reference: '<key>' }));
  });

  it('the order of fields', () => {
    expect(print('{"amount":100,"currency":"eur"}')).toBe(print('{"currency":"eur","amount":100}'));
  });
});

describe('counted in the fingerprint', () => {
  it.each([
    ['amount 100 vs 200', { amount: 100 }, { amount: 200 }],
    ['currency', { amount: 100, currency: 'eur' }, { amount: 100, currency: 'usd' }],
    ['customer', { amount: 100, customer: 'alice' }, { amount: 100, customer: 'bob' }],
    ['a nested amount', { items: [{ amount: 100 }] }, { items: [{ amount: 200 }] }],
    ['an extra field', { amount: 100 }, { amount: 100, note: 'x' }],
    ['a number vs its string', { amount: 100 }, { amount: '100' }],
    ['a date without a time', { amount: 100, due: '2024-01-01' }, { amount: 100, due: '2024-01-02' }],
    ['an id that is not a uuid', { amount: 100, order: 'ord_1' }, { amount: 100, order: 'ord_2' }],
    ['non-JSON text', 'charge 100', 'charge 200'],
  ])('%s', (_label, a, b) => {
    expect(print(a)).not.toBe(print(b));
  });

  it('the upstream and the route', () => {
    expect(print({ amount: 100 }, plain, 'POST /charges')).not.toBe(print({ amount: 100 }, plain, 'POST /refunds'));
    expect(print({ amount: 100 }, plain, 'POST /charges', 'payments')).not.toBe(print({ amount: 100 }, plain, 'POST /charges', 'billing'));
  });

  it('an empty body differs from an empty object', () => {
    expect(print('')).not.toBe(print({}));
  });
});

describe('in the recorder', () => {
  const traits: ReadonlyMap<string, UpstreamTraits> = new Map([
    ['payments', { deduplicates: false, lookup: true, noun: 'charge', ignoreFields: ['nonce'] }],
  ]);

  function effectsOf(bodies: unknown[], keys: string[]): string[] {
    const recorder = new CaseRecorder('c', 'op');
    for (const key of keys) recorder.keys.add(key);
    bodies.forEach((body, index) => {
      const text = JSON.stringify(body);
      const row = recorder.startRequest({
        upstream: 'payments', ordinal: index + 1, method: 'POST', path: '/charges', route: 'POST /charges',
        idempotencyKey: null, body: text, bodyFingerprint: '', fault: 'none', committed: true, outcome: 'committed',
        delivery: 'response', upstreamStatus: 201, clientStatus: 201,
      });
      recorder.addEffect({ upstream: 'payments', route: 'POST /charges', key: null, resourceId: null, requestId: row.id, body: text });
    });
    const rows = recorder.finish(traits);
    expect(rows.requests.map((row) => row.bodyFingerprint)).toEqual(rows.effects.map((effect) => effect.fingerprint));
    return rows.effects.map((effect) => effect.fingerprint);
  }

  it("uses the case's keys and the upstream's ignoreFields", () => {
    const [a, b] = effectsOf(
      [
        { amount: 100, key: 'rp-1', nonce: 'x', createdAt: '2024-01-01T00:00:00Z' },
        { amount: 100, key: 'rp-2', nonce: 'y', createdAt: '2024-01-02T00:00:00Z' },
      ],
      ['rp-1', 'rp-2'],
    );
    expect(a).toBe(b);
  });

  it('tells apart effects that differ in substance', () => {
    const [a, b] = effectsOf([{ amount: 100, key: 'rp-1' }, { amount: 200, key: 'rp-2' }], ['rp-1', 'rp-2']);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^payments POST \/charges [0-9a-f]{16}$/);
  });
});
