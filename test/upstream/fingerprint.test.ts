/**
 * Effect fingerprints: what differs from run to run (generated ids, timestamps,
 * time-named fields, ignored fields, the case's keys) is left out; everything
 * else counts.
 */
import { describe, expect, it } from 'vitest';
import { CaseRecorder } from '../../src/runner/recorder.js';
import { fingerprint, idLikeValuesIn, normaliseBody, TIME_OF_RUN_MS, type FingerprintOptions } from '../../src/upstream/fingerprint.js';
import type { UpstreamTraits } from '../../src/upstream/model.js';

const plain: FingerprintOptions = { keys: [], ignoreFields: [] };

function print(body: unknown, options: FingerprintOptions = plain, route = 'POST /charges', upstream = 'payments'): string {
  return fingerprint(upstream, route, normaliseBody(typeof body === 'string' ? body : JSON.stringify(body), options));
}

/** A moment `minutes` from now, as an ISO string: what a target stamps with its clock. */
const fromNow = (minutes: number): string => new Date(Date.now() + minutes * 60_000).toISOString();
/** The same moment written without a zone, on this machine's clock ("2026-03-10 13:00"): read as a local time. */
const localFromNow = (minutes: number): string => {
  const at = new Date(Date.now() + minutes * 60_000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}`;
};

/** A fixed clock for the tests that need the time of the run to the millisecond. */
const NOW = Date.parse('2026-03-10T12:00:00.000Z');
const atNow: FingerprintOptions = { keys: [], ignoreFields: [], nowMs: NOW };
const normalised = (body: unknown, options: FingerprintOptions = atNow): string => normaliseBody(JSON.stringify(body), options);

describe('left out of the fingerprint', () => {
  it('uuids the caller did not give (any case, nested, in arrays)', () => {
    const a = { amount: 100, id: '3f2a6c1e-8b4d-4e2a-9c3b-1d2e3f4a5b6c', items: [{ ref: '00000000-0000-4000-8000-000000000000' }] };
    const b = { amount: 100, id: 'A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D', items: [{ ref: 'ffffffff-ffff-4fff-bfff-ffffffffffff' }] };
    expect(print(a)).toBe(print(b));
  });

  it('timestamps of now (the time the request was made), whatever field holds them and in whatever format', () => {
    const now = Date.now();
    const values = [fromNow(0), fromNow(-2).replace('Z', '+00:00'), localFromNow(3)];
    const prints = values.map((at) => print({ amount: 100, at, nested: { when: at } }));
    expect(new Set(prints).size).toBe(1);
    // A time-named field: epoch seconds or milliseconds of now, an HTTP date of now.
    for (const field of ['timestamp', 'ts', 'time', 'date', 'created', 'created_at', 'createdAt', 'updated_at', 'updatedAt', 'sent_at', 'sentAt', 'now']) {
      expect(print({ amount: 100, [field]: Math.floor(now / 1000) }), field).toBe(print({ amount: 100, [field]: now + 1_500 }));
      expect(print({ amount: 100, [field]: new Date(now).toUTCString() }), field).toBe(print({ amount: 100, [field]: fromNow(1) }));
    }
  });

  it('generated ids inside a string: ord_<uuid>, ULIDs, Stripe-style prefixed ids, times and epochs of now (issue 14, item 4)', () => {
    const now = Date.now();
    const a = { order: 'ord_3f2a6c1e-8b4d-4e2a-9c3b-1d2e3f4a5b6c', event: '01HGW2N7EHJX3B5QK2M7ZQ4V9A', charge: 'ch_3MtwBwLkdIwHu7ix28a3tqPa', note: `placed at ${fromNow(0)}`, ref: `order-${now}` };
    const b = { order: 'ord_a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', event: '01HGW2P0Q8R4T6V8X0Z2B4D6F8', charge: 'ch_9XyzAbCdEfGh1234567890ab', note: `placed at ${fromNow(2)}`, ref: `order-${now + 2_500}` };
    expect(print(a)).toBe(print(b));
    expect(normaliseBody(JSON.stringify(a), plain)).toBe(
      JSON.stringify({ charge: 'ch_<id>', event: '<ulid>', note: 'placed at <time>', order: 'ord_<uuid>', ref: 'order-<time>' }),
    );
    // In a form-encoded body too (Stripe's SDK sends one).
    expect(print('amount=100&metadata[order]=ord_01HGW2N7EHJX3B5QK2M7ZQ4V9A')).toBe(print('amount=100&metadata[order]=ord_01HGW2P0Q8R4T6V8X0Z2B4D6F8'));
  });

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

  it('a time within 15 minutes of the run, to the millisecond, whole or inside text', () => {
    const edge = NOW + TIME_OF_RUN_MS;
    expect(normalised({ at: new Date(edge).toISOString(), ref: `order-${edge}` })).toBe(JSON.stringify({ at: '<time>', ref: 'order-<time>' }));
    expect(normalised({ at: new Date(edge + 1).toISOString(), ref: `order-${edge + 1}` })).toBe(JSON.stringify({ at: '<day 2026-03-10>', ref: `order-${edge + 1}` }));
  });

  it('epoch seconds of now inside text, not only milliseconds', () => {
    const seconds = Math.floor(NOW / 1000);
    expect(normalised({ ref: `order-${seconds}` })).toBe(JSON.stringify({ ref: 'order-<time>' }));
    expect(print({ ref: `order-${seconds}` }, atNow)).toBe(print({ ref: `order-${seconds + 90}` }, atNow));
  });

  it('epoch times in a list held by a time-named field', () => {
    expect(print({ ts: [Math.floor(NOW / 1000)] }, atNow)).toBe(print({ ts: [NOW + 1_500] }, atNow));
  });

  it('a generated uuid becomes a placeholder, not nothing', () => {
    expect(normalised({ id: '3f2a6c1e-8b4d-4e2a-9c3b-1d2e3f4a5b6c' })).toBe(JSON.stringify({ id: '<uuid>' }));
    expect(print({ parent: '3f2a6c1e-8b4d-4e2a-9c3b-1d2e3f4a5b6c' })).not.toBe(print({ parent: '' }));
  });

  it('an empty key replaces nothing', () => {
    expect(normalised({ note: 'abc' }, { ...atNow, keys: [''] })).toBe(JSON.stringify({ note: 'abc' }));
  });

  it('an empty body stays empty', () => {
    expect(normaliseBody('', plain)).toBe('');
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

  // Issue 18, hole 12: a field named like a time, or a time value, is not dropped whatever it holds.
  it.each([
    ['a booked date in a field named date', { room: 1, date: '2027-01-05' }, { room: 1, date: '2027-01-06' }],
    ['a booked day in a field named time', { room: 1, time: 'monday' }, { room: 1, time: 'tuesday' }],
    ['a booked date and time far from now', { room: 1, at: '2027-01-05T10:00:00Z' }, { room: 1, at: '2027-01-06T10:00:00Z' }],
    ['an epoch far from now in a time-named field', { room: 1, ts: 1700000000 }, { room: 1, ts: 1800000000 }],
    ['a small number in a time-named field (a duration)', { room: 1, time: 30 }, { room: 1, time: 45 }],
  ])('%s', (_label, a, b) => {
    expect(print(a)).not.toBe(print(b));
  });

  it.each([
    ['a counter, not a random id', { order: 'ord_1' }, { order: 'ord_2' }],
    ['a prefixed id with no digit (a word)', { plan: 'plan_enterprise' }, { plan: 'plan_startupxyz' }],
    ['digits only after the prefix (a number)', { account: 'acct_12345678' }, { account: 'acct_87654321' }],
    ['an epoch far from now inside text', { ref: 'batch-1500000000000' }, { ref: 'batch-1500000001000' }],
    ['another amount in a form body', 'amount=100&currency=eur', 'amount=200&currency=eur'],
  ])('%s (issue 14, item 4)', (_label, a, b) => {
    expect(print(a)).not.toBe(print(b));
  });

  it("a prefixed id or ULID the caller gave: another customer's is another charge (issue 14, item 4)", () => {
    const options: FingerprintOptions = { keys: [], ignoreFields: [], callerValues: ['cus_NffrFeUfNV2Hib', '01HGW2N7EHJX3B5QK2M7ZQ4V9A'] };
    expect(print({ customer: 'cus_NffrFeUfNV2Hib' }, options)).not.toBe(print({ customer: 'cus_Q2wErTy7UiOp3a' }, options));
    expect(print({ batch: '01HGW2N7EHJX3B5QK2M7ZQ4V9A' }, options)).not.toBe(print({ batch: '01HGW2P0Q8R4T6V8X0Z2B4D6F8' }, options));
  });

  it("a uuid the caller gave (its input, in any case): another customer's uuid is another charge (issue 18, hole 12)", () => {
    const alice = '3f2a6c1e-8b4d-4e2a-9c3b-1d2e3f4a5b6c';
    const bob = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
    const options: FingerprintOptions = { keys: [], ignoreFields: [], callerValues: [alice.toUpperCase()] };
    expect(print({ amount: 100, customer: alice }, options)).not.toBe(print({ amount: 100, customer: bob }, options));
    // A generated one (a request id) is still left out beside it.
    expect(print({ customer: alice, request: bob }, options)).toBe(print({ customer: alice, request: '00000000-0000-4000-8000-000000000000' }, options));
  });

  it('a time far from now by its day: two times of one day are one, whole, in a time-named field or inside text', () => {
    const day = (hour: number): string => `2031-01-07T${hour}:00:00Z`;
    const seconds = (hour: number): number => Date.parse(day(hour)) / 1000;
    expect(normalised({ at: day(10), date: new Date(day(10)).toUTCString(), ts: seconds(10), note: `booked for ${day(10)}` })).toBe(
      JSON.stringify({ at: '<day 2031-01-07>', date: '<day 2031-01-07>', note: 'booked for <day 2031-01-07>', ts: '<day 2031-01-07>' }),
    );
    expect(print({ at: day(10), date: new Date(day(10)).toUTCString(), ts: seconds(10), note: `booked for ${day(10)}` }, atNow)).toBe(
      print({ at: day(18), date: new Date(day(18)).toUTCString(), ts: seconds(18), note: `booked for ${day(18)}` }, atNow),
    );
  });

  it('a number in a time-named field as an epoch only in the epoch ranges: seconds 1e9 to 1e10, milliseconds 1e12 to 1e13', () => {
    expect(normalised({ ts: 1e9 })).toBe(JSON.stringify({ ts: '<day 2001-09-09>' }));
    expect(normalised({ ts: 9_999_999_999 })).toBe(JSON.stringify({ ts: '<day 2286-11-20>' }));
    expect(normalised({ ts: 1e10 })).toBe(JSON.stringify({ ts: 1e10 }));
    expect(normalised({ ts: 1e12 })).toBe(JSON.stringify({ ts: '<day 2001-09-09>' }));
    expect(normalised({ ts: 1e13 })).toBe(JSON.stringify({ ts: 1e13 }));
  });

  it('a number like an epoch of now outside a time-named field, and in a list', () => {
    const seconds = Math.floor(NOW / 1000);
    expect(print({ reference: seconds }, atNow)).not.toBe(print({ reference: seconds + 1 }, atNow));
    expect(print([seconds], atNow)).not.toBe(print([seconds + 1], atNow));
  });

  it('text with a number in a time-named field that is no date', () => {
    expect(print({ time: '30 min' })).not.toBe(print({ time: '45 min' }));
    // Date.parse reads each of these as a day of 2001 ("slot 3": March 1st): a retry booking another slot would match.
    expect(print({ time: 'morning slot 3' })).not.toBe(print({ time: 'evening slot 3' }));
    expect(print({ date: 'plan 2' })).not.toBe(print({ date: 'tier 2' }));
    expect(normalised({ time: 'Gate 4', date: '12', ts: '2027' })).toBe(JSON.stringify({ date: '12', time: 'Gate 4', ts: '2027' }));
  });

  it('a date written with its year in a time-named field, in other formats than ISO, counts by its day', () => {
    // Without a zone they are local times: their day is the UTC day of that local time.
    const localDay = (text: string): string => `<day ${new Date(Date.parse(text)).toISOString().slice(0, 10)}>`;
    expect(normalised({ date: '2031/01/07 12:00', time: 'January 7, 2031 12:00', ts: 'Tue, 07 Jan 2031 10:00:00 GMT' })).toBe(
      JSON.stringify({ date: localDay('2031/01/07 12:00'), time: localDay('January 7, 2031 12:00'), ts: '<day 2031-01-07>' }),
    );
    expect(print({ date: '2031/01/07 12:00' })).not.toBe(print({ date: '2031/01/08 12:00' }));
    // Shaped like a date but no day of any calendar: counts as it is.
    expect(normalised({ date: '2031/13/45', time: 'March 99, 2031' })).toBe(JSON.stringify({ date: '2031/13/45', time: 'March 99, 2031' }));
  });

  it('a null field, and a list against an object', () => {
    expect(print({ amount: 100, coupon: null })).not.toBe(print({ amount: 100 }));
    expect(print([100, 200])).not.toBe(print({ 0: 100, 1: 200 }));
  });

  it('a uuid the caller gave is kept lower-cased, whole or inside text, whatever case either side writes it in', () => {
    const alice = '3f2a6c1e-8b4d-4e2a-9c3b-1d2e3f4a5b6c';
    const options: FingerprintOptions = { ...atNow, callerValues: [alice] };
    expect(normalised({ customer: alice.toUpperCase(), note: `for ${alice.toUpperCase()}` }, options)).toBe(JSON.stringify({ customer: alice, note: `for ${alice}` }));
  });

  it('the upstream and the route', () => {
    expect(print({ amount: 100 }, plain, 'POST /charges')).not.toBe(print({ amount: 100 }, plain, 'POST /refunds'));
    expect(print({ amount: 100 }, plain, 'POST /charges', 'payments')).not.toBe(print({ amount: 100 }, plain, 'POST /charges', 'billing'));
  });

  it('an empty body differs from an empty object', () => {
    expect(print('')).not.toBe(print({}));
  });
});

describe('idLikeValuesIn (what the caller gave)', () => {
  it('finds uuids (lower-cased), ULIDs and prefixed ids in any JSON value, each once', () => {
    const value = { customer: 'A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D', batch: '01HGW2N7EHJX3B5QK2M7ZQ4V9A', card: ['cus_NffrFeUfNV2Hib', 'cus_NffrFeUfNV2Hib'], amount: 100 };
    expect(idLikeValuesIn(value)).toEqual(['a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', '01HGW2N7EHJX3B5QK2M7ZQ4V9A', 'cus_NffrFeUfNV2Hib']);
  });

  it('finds nothing where there is no id', () => {
    expect(idLikeValuesIn('amount=100&currency=eur')).toEqual([]);
    expect(idLikeValuesIn({ order: 'ord_1', plan: 'plan_enterprise' })).toEqual([]);
  });

  it('reads text as it is, not as JSON: an id on the next line keeps its prefix', () => {
    expect(idLikeValuesIn('customer:\ncus_NffrFeUfNV2Hib\n01HGW2N7EHJX3B5QK2M7ZQ4V9A')).toEqual(['01HGW2N7EHJX3B5QK2M7ZQ4V9A', 'cus_NffrFeUfNV2Hib']);
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
        { amount: 100, key: 'rp-1', nonce: 'x', createdAt: fromNow(0) },
        { amount: 100, key: 'rp-2', nonce: 'y', createdAt: fromNow(1) },
      ],
      ['rp-1', 'rp-2'],
    );
    expect(a).toBe(b);
  });

  it("keeps the uuids the caller gave (noted from the operation, or in an invocation's argv)", () => {
    const alice = '3f2a6c1e-8b4d-4e2a-9c3b-1d2e3f4a5b6c';
    const bob = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
    const recorder = new CaseRecorder('c', 'op');
    recorder.noteCallerData({ input: { customer: alice } });
    const fingerprints = [alice, bob].map((customer, index) => {
      const body = JSON.stringify({ customer });
      const row = recorder.startRequest({
        upstream: 'payments', ordinal: index + 1, method: 'POST', path: '/charges', route: 'POST /charges',
        idempotencyKey: null, body, bodyFingerprint: '', fault: 'none', committed: false, outcome: 'not-run',
        delivery: 'response', upstreamStatus: null, clientStatus: 503,
      });
      return row;
    });
    const rows = recorder.finish(traits);
    expect(fingerprints).toHaveLength(2);
    expect(rows.requests[0]!.bodyFingerprint).not.toBe(rows.requests[1]!.bodyFingerprint);
  });

  it('tells apart effects that differ in substance', () => {
    const [a, b] = effectsOf([{ amount: 100, key: 'rp-1' }, { amount: 200, key: 'rp-2' }], ['rp-1', 'rp-2']);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^payments POST \/charges [0-9a-f]{16}$/);
  });
});
