/**
 * Several routes on one upstream (`routes:`): each route answered by its own
 * built-in model, with its own state and traits; a path no route serves
 * answered 404 and recorded as unmatched; reset clears every route. Each
 * script runs over a real socket twice, with the fast routes and through the
 * msw handlers only, and both must give the same answers and rows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultBinding } from '../../src/core/schedule.js';
import type { CaseRows } from '../../src/ledger/rows.js';
import type { UpstreamModel, UpstreamTraits } from '../../src/upstream/model.js';
import { createModel } from '../../src/upstream/models/index.js';
import { routesModel } from '../../src/upstream/models/routes.js';
import { pathsOverlap, routeIndexFor, traitsFor } from '../../src/upstream/route-traits.js';
import { charges, mailer, TempLedger, UpstreamHarness, type ClientResult } from '../helpers/upstream.js';

const harnesses: UpstreamHarness[] = [];
const ledgers: TempLedger[] = [];

afterEach(async () => {
  try {
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
  } finally {
    for (const ledger of ledgers.splice(0)) ledger.close();
  }
});

/** charges (keyed), audit records (not keyed), emails: the example. */
function api(): UpstreamModel {
  return routesModel([
    { path: '/charges', model: charges({ honoursIdempotencyKey: true }) },
    { path: '/audit', model: charges({ path: '/audit', noun: 'audit record', ignoreFields: ['at'] }) },
    { path: '/emails', model: mailer({ path: '/emails' }) },
  ]);
}

/** The same model without its fast routes: every request through the routes' msw handlers. */
function mswOnly(model: UpstreamModel): UpstreamModel {
  return { handlers: model.handlers, reset: () => model.reset(), traits: model.traits };
}

type Step = [method: string, path: string, body?: unknown, key?: string];
type Seen = Pick<ClientResult, 'status' | 'json'>;

async function start(model: UpstreamModel): Promise<{ harness: UpstreamHarness; ledger: TempLedger }> {
  const harness = await UpstreamHarness.start(model, { name: 'api' });
  const ledger = new TempLedger();
  harnesses.push(harness);
  ledgers.push(ledger);
  return { harness, ledger };
}

async function play(harness: UpstreamHarness, ledger: TempLedger, steps: Step[], faults: FaultBinding[] = []): Promise<{ seen: Seen[]; rows: CaseRows }> {
  const started = harness.begin(faults);
  const seen: Seen[] = [];
  for (const [method, pathAndQuery, body, key] of steps) {
    const result = await harness.send(method, pathAndQuery, body, key ? { headers: { 'idempotency-key': key } } : {});
    seen.push({ status: result.status, json: result.json });
  }
  return { seen, rows: await ledger.store(harness, started) };
}

/** Plays the steps with fast routes and through msw only; both must agree (clock and row times aside). */
async function both(steps: Step[], faults: FaultBinding[] = []): Promise<{ seen: Seen[]; rows: CaseRows }> {
  const fast = await start(api());
  const msw = await start(mswOnly(api()));
  const a = await play(fast.harness, fast.ledger, steps, faults);
  const b = await play(msw.harness, msw.ledger, steps, faults);
  expect(scrub(a)).toEqual(scrub(b));
  return a;
}

function scrub(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value)
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, '<time>')
      .replace(/"(startedMs|endedMs)":\d+/g, '"$1":0')
      .replace(/"caseId":"[^"]*"/g, '"caseId":"case"'),
  );
}

describe('routesModel: each route answered by its own model', () => {
  it('the fast routes claim every route (each model has plain paths)', () => {
    const model = api();
    expect(model.fast?.route('POST', '/charges')).toBeDefined();
    expect(model.fast?.route('POST', '/audit')).toBeDefined();
    expect(model.fast?.route('GET', '/audit/aud_1')).toBeDefined();
    expect(model.fast?.route('POST', '/emails')).toBeDefined();
    expect(model.fast?.route('POST', '/refunds')).toBeUndefined();
  });

  it('charges honour the key, audit records do not, emails send: each route with its own ids, routes and state', async () => {
    const { seen, rows } = await both([
      ['POST', '/charges', { amount: 5 }, 'k-1'],
      ['POST', '/charges', { amount: 5 }, 'k-1'],
      ['POST', '/audit', { event: 'charged' }, 'k-1'],
      ['POST', '/audit', { event: 'charged' }, 'k-1'],
      ['POST', '/emails', { to: 'a@example.com' }],
      ['GET', '/audit/aud_2'],
      ['GET', '/charges/aud_1'],
    ]);
    expect(seen.map((s) => s.status)).toEqual([201, 201, 201, 201, 202, 200, 404]);
    expect(seen.map((s) => (s.json as { id?: string }).id)).toEqual(['cha_1', 'cha_1', 'aud_1', 'aud_2', 'msg_1', 'aud_2', undefined]);
    expect(rows.requests.map((row) => [row.route, row.outcome])).toEqual([
      ['POST /charges', 'committed'],
      ['POST /charges', 'replayed'],
      ['POST /audit', 'committed'],
      ['POST /audit', 'committed'],
      ['POST /emails', 'committed'],
      ['GET /audit/aud_2', 'read'],
      ['GET /charges/aud_1', 'read'],
    ]);
    expect(rows.effects.map((effect) => [effect.upstream, effect.route, effect.resourceId])).toEqual([
      ['api', 'POST /charges', 'cha_1'],
      ['api', 'POST /audit', 'aud_1'],
      ['api', 'POST /audit', 'aud_2'],
      ['api', 'POST /emails', 'msg_1'],
    ]);
  });

  it('a path no route serves: 404, recorded as unmatched, nothing committed', async () => {
    const { seen, rows } = await both([
      ['POST', '/refunds', { charge: 'cha_1' }],
      ['GET', '/'],
    ]);
    expect(seen.map((s) => s.status)).toEqual([404, 404]);
    expect(rows.requests.map((row) => [row.route, row.outcome, row.committed])).toEqual([
      ['POST /refunds', 'unmatched', false],
      ['GET /', 'unmatched', false],
    ]);
    expect(rows.effects).toHaveLength(0);
  });

  it('reset clears every route: the next case starts from the first id everywhere, keys forgotten', async () => {
    const { harness, ledger } = await start(api());
    const steps: Step[] = [
      ['POST', '/charges', { amount: 5 }, 'k-1'],
      ['POST', '/audit', { event: 'charged' }],
      ['POST', '/emails', { to: 'a@example.com' }],
    ];
    await play(harness, ledger, steps);
    const second = await play(harness, ledger, steps);
    expect(second.seen.map((s) => (s.json as { id: string }).id)).toEqual(['cha_1', 'aud_1', 'msg_1']);
    expect(second.rows.requests.map((row) => row.outcome)).toEqual(['committed', 'committed', 'committed']);
    const third = await play(harness, ledger, [['GET', '/audit'], ['GET', '/charges']]);
    expect(third.seen.map((s) => s.json)).toEqual([{ data: [] }, { data: [] }]);
  });

  it('a fault bound to one route hits the n-th request to that route only (the 2nd to /audit)', async () => {
    const { seen, rows } = await both(
      [
        ['POST', '/audit', { n: 1 }],
        ['POST', '/charges', { amount: 5 }, 'k-1'],
        ['POST', '/audit', { n: 2 }],
        ['POST', '/audit', { n: 3 }],
      ],
      [{ upstream: 'api', route: 'POST /audit', ordinal: 2, fault: '503-after-commit' }],
    );
    expect(seen.map((s) => s.status)).toEqual([201, 201, 503, 201]);
    expect(rows.requests.map((row) => row.fault)).toEqual(['none', 'none', '503-after-commit', 'none']);
    expect(rows.requests[2]).toMatchObject({ route: 'POST /audit', committed: true });
  });
});

describe('route traits: each request judged by the route that served it', () => {
  const traits = new Map<string, UpstreamTraits>([
    ['api', api().traits],
    ['payments', charges().traits],
  ]);

  it('traitsFor names the route model: noun, deduplicates, look-up and ignoreFields', () => {
    expect(traitsFor(traits, 'api', 'POST /charges')).toMatchObject({ noun: 'charge', deduplicates: true, lookup: true });
    expect(traitsFor(traits, 'api', 'POST /audit')).toMatchObject({ noun: 'audit record', deduplicates: false, ignoreFields: ['at'] });
    expect(traitsFor(traits, 'api', 'GET /audit/aud_1?x=1')).toMatchObject({ noun: 'audit record' });
    expect(traitsFor(traits, 'api', 'POST /emails')).toMatchObject({ noun: 'email', deduplicates: false, lookup: false });
  });

  it('a route no path serves gets the upstream-wide traits; a single-model upstream is unchanged', () => {
    expect(traitsFor(traits, 'api', 'POST /refunds')).toMatchObject({ noun: 'effect', deduplicates: false, lookup: false });
    expect(traitsFor(traits, 'payments', 'POST /anything')).toBe(traits.get('payments'));
    expect(traitsFor(traits, 'nobody', 'POST /charges')).toBeUndefined();
  });

  it('routeIndexFor matches as msw does: any prefix, one more segment for an item, any case', () => {
    const paths = ['/charges', '/v1/audit'];
    expect(routeIndexFor(paths, '/charges')).toBe(0);
    expect(routeIndexFor(paths, '/charges/')).toBe(0);
    expect(routeIndexFor(paths, '/api/Charges/cha_1')).toBe(0);
    expect(routeIndexFor(paths, '/v1/audit/aud_1')).toBe(1);
    expect(routeIndexFor(paths, '/audit')).toBeUndefined();
    expect(routeIndexFor(paths, '/charges/cha_1/refunds')).toBeUndefined();
  });

  it('pathsOverlap: one path inside another, in any case', () => {
    expect(pathsOverlap('/charges', '/charges')).toBe(true);
    expect(pathsOverlap('/charges', '/Charges/')).toBe(true);
    expect(pathsOverlap('/charges', '/charges/refunds')).toBe(true);
    expect(pathsOverlap('/refunds', '/charges/refunds')).toBe(true);
    expect(pathsOverlap('/charges', '/audit')).toBe(false);
    expect(pathsOverlap('/v1/charges', '/v1/audit')).toBe(false);
    expect(pathsOverlap('/charges', '/charges-archive')).toBe(false);
  });
});

describe('createModel: a routes entry', () => {
  it('builds one model per route from the per-model entries', async () => {
    const model = createModel({
      model: 'routes',
      routes: [
        { model: 'resource', path: '/charges', honoursIdempotencyKey: true, clientRefField: 'ref', noun: 'charge', ignoreFields: [] },
        { model: 'counter', path: '/visits', noun: 'visit', ignoreFields: [] },
      ],
    });
    expect(model.traits.routes?.map((route) => [route.path, route.traits.noun, route.traits.deduplicates])).toEqual([
      ['/charges', 'charge', true],
      ['/visits', 'visit', false],
    ]);
    const { harness, ledger } = await start(model);
    const { seen, rows } = await play(harness, ledger, [
      ['POST', '/visits', { by: 2 }],
      ['POST', '/charges', { amount: 5 }],
    ]);
    expect(seen.map((s) => s.json)).toMatchObject([{ value: 2 }, { id: 'cha_1' }]);
    expect(rows.effects.map((effect) => effect.route)).toEqual(['POST /visits', 'POST /charges']);
  });
});
