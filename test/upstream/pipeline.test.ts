/**
 * The upstream pipeline: request ordinals per case, route-scoped bindings,
 * stragglers outside a case, and requests no handler matches.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { http, HttpResponse } from 'msw';
import { recordEffect } from '../../src/upstream/context.js';
import type { UpstreamModel } from '../../src/upstream/model.js';
import { CaseRecorder } from '../../src/runner/recorder.js';
import { callerKeyDigest, digestOfCallerKey } from '../../src/caller/keys.js';
import { charges, TempLedger, UpstreamHarness } from '../helpers/upstream.js';

let harness: UpstreamHarness;
let ledger: TempLedger;

beforeEach(async () => {
  harness = await UpstreamHarness.start(charges());
  ledger = new TempLedger();
});

afterEach(async () => {
  try {
    await harness?.close();
  } finally {
    ledger?.close();
  }
});

describe('ordinals', () => {
  it('count the requests of one case, GETs included, and pick the bound one', async () => {
    const started = harness.begin([harness.fault('503-before-commit', 3)]);
    const statuses = [
      (await harness.post('/charges', { amount: 1 })).status,
      (await harness.get('/charges')).status,
      (await harness.post('/charges', { amount: 3 })).status,
      (await harness.post('/charges', { amount: 4 })).status,
    ];
    const rows = await ledger.store(harness, started);
    expect(statuses).toEqual([201, 200, 503, 201]);
    expect(rows.requests.map((row) => row.ordinal)).toEqual([1, 2, 3, 4]);
    expect(rows.requests.map((row) => row.fault)).toEqual(['none', 'none', '503-before-commit', 'none']);
    expect(rows.effects.map((effect) => JSON.parse(effect.body).amount)).toEqual([1, 4]);
  });

  it('restart at 1 when a new case begins, and the model starts afresh', async () => {
    const first = harness.begin([harness.fault('503-before-commit', 2)], 'first');
    expect((await harness.post('/charges', { amount: 1 })).status).toBe(201);
    expect((await harness.post('/charges', { amount: 2 })).status).toBe(503);
    expect((await harness.post('/charges', { amount: 3 })).status).toBe(201);
    const firstRows = await ledger.store(harness, first);
    expect(firstRows.requests.map((row) => row.ordinal)).toEqual([1, 2, 3]);

    const second = harness.begin([harness.fault('503-before-commit', 2)], 'second');
    const one = await harness.post('/charges', { amount: 1 });
    const two = await harness.post('/charges', { amount: 2 });
    const secondRows = await ledger.store(harness, second);
    // Had the count carried over, request 1 of this case would be ordinal 4 and request 2 would not be faulted.
    expect(secondRows.requests.map((row) => row.ordinal)).toEqual([1, 2]);
    expect(two.status).toBe(503);
    // The model was reset: the first charge of the case is cha_1 again, and the old ones are gone.
    expect(one.json).toMatchObject({ id: 'cha_1' });
    expect(secondRows.requests.every((row) => row.caseId === 'second')).toBe(true);
    expect(secondRows.effects).toHaveLength(1);
    // The first case's rows are untouched by the second.
    expect(ledger.ledger.readCase('first').requests).toHaveLength(3);
  });

  it('andAfter faults the bound request and every later one', async () => {
    const started = harness.begin([harness.fault('503-before-commit', 2, { andAfter: true })]);
    const statuses: (number | null)[] = [];
    for (let i = 1; i <= 4; i += 1) statuses.push((await harness.post('/charges', { amount: i })).status);
    const rows = await ledger.store(harness, started);
    expect(statuses).toEqual([201, 503, 503, 503]);
    expect(rows.effects).toHaveLength(1);
  });

  it('a binding for another upstream does not apply here', async () => {
    const started = harness.begin([{ upstream: 'mailer', ordinal: 1, fault: '503-before-commit' }]);
    const result = await harness.post('/charges', { amount: 1 });
    const rows = await ledger.store(harness, started);
    expect(result.status).toBe(201);
    expect(rows.requests[0]).toMatchObject({ fault: 'none', committed: true });
  });

  it("a binding with a route counts only that route's requests", async () => {
    const started = harness.begin([harness.fault('503-after-commit', 2, { route: 'POST /charges' })]);
    const results = [
      await harness.get('/charges'), // ordinal 1, not POST /charges
      await harness.post('/charges', { amount: 1 }), // POST /charges #1
      await harness.get('/charges?ref=x'), // ordinal 3: would be "2" if GETs counted
      await harness.post('/refunds', { amount: 9 }), // another route
      await harness.post('/charges', { amount: 2 }), // POST /charges #2: faulted
      await harness.post('/charges', { amount: 3 }), // POST /charges #3
    ];
    const rows = await ledger.store(harness, started);
    expect(results.map((result) => result.status)).toEqual([200, 201, 200, 404, 503, 201]);
    expect(rows.requests.map((row) => row.fault)).toEqual(['none', 'none', 'none', 'none', '503-after-commit', 'none']);
    expect(rows.requests.map((row) => row.ordinal)).toEqual([1, 2, 3, 4, 5, 6]);
    // 503 after commit: the faulted request still committed.
    expect(rows.requests[4]).toMatchObject({ committed: true, clientStatus: 503, upstreamStatus: 201 });
    expect(rows.effects).toHaveLength(3);
  });
});

describe('requests outside a case', () => {
  it('before any case: 503, and no handler runs', async () => {
    let handlerCalls = 0;
    const counting: UpstreamModel = {
      handlers: [
        http.all('*', () => {
          handlerCalls += 1;
          recordEffect();
          return HttpResponse.json({ ok: true }, { status: 201 });
        }),
      ],
      reset: () => undefined,
      traits: { deduplicates: false, lookup: false, noun: 'thing', ignoreFields: [] },
    };
    const idle = await UpstreamHarness.start(counting, { name: 'counting' });
    try {
      const result = await idle.post('/things', { amount: 1 });
      expect(result.status).toBe(503);
      expect(handlerCalls).toBe(0);
      // The same request inside a case does reach the handler (so the 0 above means something).
      const started = idle.begin();
      expect((await idle.post('/things', { amount: 1 })).status).toBe(201);
      expect(handlerCalls).toBe(1);
      expect(started.recorder.requests.map((row) => row.ordinal)).toEqual([1]);
    } finally {
      await idle.close();
    }
  });

  it('after endCase: 503, and the ended case records nothing more', async () => {
    const started = harness.begin();
    expect((await harness.post('/charges', { amount: 1 })).status).toBe(201);
    harness.pipeline.endCase();
    const straggler = await harness.post('/charges', { amount: 2 });
    const lookup = await harness.get('/charges');
    expect(straggler.status).toBe(503);
    expect(lookup.status).toBe(503);
    const rows = await ledger.store(harness, started);
    expect(rows.requests).toHaveLength(1);
    expect(rows.effects).toHaveLength(1);
    expect(JSON.parse(rows.effects[0]!.body)).toEqual({ amount: 1 });
    expect(started.crashCalls).toBe(0);
  });

  it('with a stray session: after endCase a request is served by the ended case\'s state, recorded there, and the next case starts at 1', async () => {
    const started = harness.begin([harness.fault('503-before-commit', 2)]);
    expect((await harness.post('/charges', { amount: 1 })).status).toBe(201);
    harness.pipeline.endCase();
    const strays = new CaseRecorder('strays', 'op');
    harness.pipeline.serveStrays(() => ({ faults: [], recorder: strays, crashTarget: () => undefined }));
    // A late charge: not refused (a refused target would retry it into the next case), served as the ended case's model stands.
    const late = await harness.post('/charges', { amount: 2 });
    expect(late.status).toBe(201);
    expect(late.json).toMatchObject({ id: 'cha_2' });
    expect(harness.pipeline.inFlight()).toBe(0);
    expect(strays.requests.map((row) => [row.ordinal, row.committed, row.caseId])).toEqual([[1, true, 'strays']]);

    const next = harness.begin([harness.fault('503-before-commit', 1)], 'next');
    const own = await harness.post('/charges', { amount: 3 });
    // The stray did not use up the next case's fault, nor its request #1.
    expect(own.status).toBe(503);
    expect(next.recorder.requests.map((row) => [row.ordinal, row.fault])).toEqual([[1, '503-before-commit']]);
    const rows = await ledger.store(harness, started);
    expect(rows.requests).toHaveLength(1);
  });
});

describe('a request carrying another case\'s caller key', () => {
  it('is a stray even while a case runs: it takes neither the case\'s request #1 nor its fault (a loaded harness read it late)', async () => {
    const strays = new CaseRecorder('strays', 'op');
    harness.pipeline.serveStrays(() => ({ faults: [], recorder: strays, crashTarget: () => undefined }));
    const recorder = new CaseRecorder('explore/115', 'op');
    const own = callerKeyDigest('zoo', 'explore/115');
    const mine = `rp-${own}-1`;
    const earlier = `rp-${callerKeyDigest('zoo', 'explore/113')}-1`;
    harness.pipeline.beginCase({
      faults: [harness.fault('503-before-commit', 1)],
      recorder,
      crashTarget: () => undefined,
      ownsKey: (key) => [undefined, own].includes(digestOfCallerKey(key)),
    });
    // Case 113's charge, read only now: served (no fault), recorded as a stray.
    expect((await harness.post('/charges', { amount: 1 }, { headers: { 'idempotency-key': earlier } })).status).toBe(201);
    // A key the target made from 113's (`…-a2`, `order-…`) is 113's too.
    expect((await harness.post('/charges', { amount: 1 }, { headers: { 'idempotency-key': `${earlier}-a2` } })).status).toBe(201);
    expect((await harness.post('/charges', { amount: 1 }, { headers: { 'idempotency-key': `order-${earlier}` } })).status).toBe(201);
    // The case's own first request still meets the case's fault; a key the harness did not make is the case's.
    expect((await harness.post('/charges', { amount: 1 }, { headers: { 'idempotency-key': mine } })).status).toBe(503);
    expect((await harness.post('/charges', { amount: 1 }, { headers: { 'idempotency-key': 'user-key' } })).status).toBe(201);
    expect(digestOfCallerKey('grp-0123456789ab-1')).toBeUndefined();
    expect(recorder.requests.map((row) => [row.ordinal, row.fault, row.idempotencyKey])).toEqual([
      [1, '503-before-commit', mine],
      [2, 'none', 'user-key'],
    ]);
    expect(strays.requests.map((row) => [row.ordinal, row.fault, row.idempotencyKey, row.committed])).toEqual([
      [1, 'none', earlier, true],
      [2, 'none', `${earlier}-a2`, true],
      [3, 'none', `order-${earlier}`, true],
    ]);
    expect(harness.pipeline.inFlight()).toBe(0);
    harness.pipeline.endCase();
  });
});

describe('requests no handler matches', () => {
  it.each([
    ['POST', '/refunds'],
    ['PUT', '/charges'],
    ['DELETE', '/charges/cha_1'],
  ])('%s %s: 404, recorded as unmatched, no effect', async (method, path) => {
    const started = harness.begin();
    const result = await harness.send(method, path, { amount: 1 });
    const rows = await ledger.store(harness, started);
    expect(result.status).toBe(404);
    expect(rows.requests).toHaveLength(1);
    expect(rows.requests[0]).toMatchObject({
      method,
      path,
      outcome: 'unmatched',
      committed: false,
      upstreamStatus: 404,
      clientStatus: 404,
      delivery: 'response',
    });
    expect(rows.effects).toHaveLength(0);
  });
});

describe('the request row', () => {
  it('keeps method, path with query, parsed key and body', async () => {
    const started = harness.begin();
    started.recorder.live.add(7);
    await harness.post('/charges?expand=true', { amount: 5 }, { headers: { 'idempotency-key': '"k-1"' } });
    const rows = await ledger.store(harness, started);
    expect(rows.requests[0]).toMatchObject({
      upstream: 'payments',
      method: 'POST',
      path: '/charges?expand=true',
      route: 'POST /charges',
      idempotencyKey: 'k-1',
      invocationId: 7,
    });
    expect(JSON.parse(rows.requests[0]!.body)).toEqual({ amount: 5 });
    expect(rows.effects[0]).toMatchObject({ key: 'k-1', requestId: 1 });
  });
});

describe("the request row's route (issue 18, hole 5)", () => {
  it('is the route the handler named for its raw path, also for a request the fault kept from the handler', async () => {
    // msw matches `*PATH` with a trailing slash and in any case; the handler names the canonical route.
    const started = harness.begin([harness.fault('503-before-commit', 1), harness.fault('503-before-commit', 3)]);
    expect((await harness.post('/Charges/', { amount: 1 })).status).toBe(503);
    expect((await harness.post('/Charges/', { amount: 1 })).status).toBe(201);
    expect((await harness.post('/Charges/', { amount: 1 })).status).toBe(503);
    const rows = await ledger.store(harness, started);
    // Before and after the commit: one route, so a retry chain or a key group does not split at the fault.
    expect(rows.requests.map((row) => row.route)).toEqual(['POST /charges', 'POST /charges', 'POST /charges']);
    expect(rows.requests.map((row) => row.path)).toEqual(['/Charges/', '/Charges/', '/Charges/']);
    expect(rows.effects.map((effect) => effect.route)).toEqual(['POST /charges']);

    // A later case knows the name before anything commits in it.
    const next = harness.begin([harness.fault('503-before-commit', 1, { andAfter: true })]);
    expect((await harness.post('/Charges/', { amount: 1 })).status).toBe(503);
    expect((await harness.get('/charges/cha_9')).status).toBe(503);
    const nextRows = await ledger.store(harness, next);
    // A path no handler named keeps its own.
    expect(nextRows.requests.map((row) => row.route)).toEqual(['POST /charges', 'GET /charges/cha_9']);
  });
});
