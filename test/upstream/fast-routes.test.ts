/**
 * The built-in models' fast routes (served by the loopback server without
 * msw's pipeline) answer and record exactly as their msw handlers do. Each
 * script runs twice over a real socket: once with the model as the harness
 * serves it, once with its fast routes taken away, so that every request
 * goes through msw; the client's view and the ledger rows must be the same.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultBinding } from '../../src/core/schedule.js';
import type { CaseRows } from '../../src/ledger/rows.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { UpstreamModel } from '../../src/upstream/model.js';
import { loadModel } from '../../src/upstream/models/index.js';
import { fixture } from '../helpers/scenario.js';
import { charges, mailer, TempLedger, UpstreamHarness, type ClientResult } from '../helpers/upstream.js';

const ledgers: TempLedger[] = [];
const harnesses: UpstreamHarness[] = [];

afterEach(async () => {
  try {
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
  } finally {
    for (const ledger of ledgers.splice(0)) ledger.close();
  }
});

/** The same model without its fast routes: every request through its msw handlers. */
function mswOnly(model: UpstreamModel): UpstreamModel {
  return { handlers: model.handlers, reset: () => model.reset(), traits: model.traits };
}

type Step = [method: string, path: string, body?: unknown, key?: string];

/** What the client saw and what the ledger kept, less the clock. */
interface Observed {
  seen: Array<Pick<ClientResult, 'status' | 'text'> & { headers: Record<string, unknown>; error: string | null; bodyError: string | null }>;
  rows: CaseRows;
}

async function play(model: UpstreamModel, steps: Step[], faults: FaultBinding[]): Promise<Observed> {
  const harness = await UpstreamHarness.start(model);
  const ledger = new TempLedger();
  harnesses.push(harness);
  ledgers.push(ledger);
  const started = harness.begin(faults, 'case');
  const seen: Observed['seen'] = [];
  for (const [method, pathAndQuery, body, key] of steps) {
    const result = await harness.send(method, pathAndQuery, body, key ? { headers: { 'idempotency-key': key } } : {});
    const { date: _date, ...headers } = result.headers;
    seen.push({ status: result.status, text: result.text, headers, error: result.error?.code ?? null, bodyError: result.bodyError?.code ?? null });
  }
  const rows = await ledger.store(harness, started);
  return scrubClock({ seen, rows });
}

function scrubClock(observed: Observed): Observed {
  const text = JSON.stringify(observed)
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, '<time>')
    .replace(/"(startedMs|endedMs)":\d+/g, '"$1":0');
  return JSON.parse(text) as Observed;
}

/** Plays the steps both ways and expects the same; returns the fast run's. */
async function same(make: () => UpstreamModel, steps: Step[], faults: FaultBinding[] = []): Promise<Observed> {
  const fast = await play(make(), steps, faults);
  const msw = await play(mswOnly(make()), steps, faults);
  expect(fast).toEqual(msw);
  return fast;
}

const claims = (model: UpstreamModel, method: string, pathname: string) => model.fast?.route(method, pathname) !== undefined;

describe('resource: fast routes and msw give the same answers and rows', () => {
  const keyed = () => charges({ honoursIdempotencyKey: true });

  it('claims the canonical routes', () => {
    const model = keyed();
    expect(claims(model, 'POST', '/charges')).toBe(true);
    expect(claims(model, 'GET', '/charges')).toBe(true);
    expect(claims(model, 'GET', '/charges/cha_1')).toBe(true);
  });

  it('create, replay with the same key, the key reused with another body (422)', async () => {
    const { seen, rows } = await same(keyed, [
      ['POST', '/charges', { amount: 1, orderRef: 'o-1' }, 'k-1'],
      ['POST', '/charges', { amount: 1, orderRef: 'o-1' }, 'k-1'],
      ['POST', '/charges', { amount: 2, orderRef: 'o-1' }, 'k-1'],
    ]);
    expect(seen.map((s) => s.status)).toEqual([201, 201, 422]);
    expect(seen[1]!.headers['idempotent-replayed']).toBe('true');
    expect(rows.requests.map((row) => row.outcome)).toEqual(['committed', 'replayed', 'rejected']);
    expect(rows.effects).toHaveLength(1);
  });

  it('list, look-up by reference, get, 404', async () => {
    const { seen, rows } = await same(keyed, [
      ['POST', '/charges', { amount: 1, orderRef: 'o-1' }],
      ['GET', '/charges'],
      ['GET', '/charges?ref=o-1'],
      ['GET', '/charges/cha_1'],
      ['GET', '/charges/cha_9'],
    ]);
    expect(seen.map((s) => s.status)).toEqual([201, 200, 200, 200, 404]);
    expect(rows.requests.map((row) => row.outcome)).toEqual(['committed', 'read', 'read', 'read', 'read']);
  });

  it('a body that is not JSON: 400, rejected, no effect', async () => {
    const { seen, rows } = await same(keyed, [['POST', '/charges', '{not json', 'k-1']]);
    expect(seen[0]!.status).toBe(400);
    expect(rows.requests[0]).toMatchObject({ outcome: 'rejected', committed: false, upstreamStatus: 400 });
    expect(rows.effects).toHaveLength(0);
  });

  it('without key support: every POST is an effect', async () => {
    const { rows } = await same(charges, [
      ['POST', '/charges', { amount: 1 }, 'k-1'],
      ['POST', '/charges', { amount: 1 }, 'k-1'],
    ]);
    expect(rows.effects).toHaveLength(2);
  });
});

describe('faults on fast routes: the fault gets the Response msw would have made', () => {
  it('after commit, truncated, slow, before commit: same answers and rows', async () => {
    const fault = (ordinal: number, name: string, params: FaultBinding['params'] = {}): FaultBinding => ({ upstream: 'payments', ordinal, fault: name, params });
    const { seen, rows } = await same(
      () => charges({ honoursIdempotencyKey: true }),
      [
        ['POST', '/charges', { amount: 1 }, 'k-1'],
        ['POST', '/charges', { amount: 1 }, 'k-1'],
        ['GET', '/charges/cha_1'],
        ['POST', '/charges', { amount: 2 }],
        ['POST', '/charges', { amount: 3 }],
      ],
      [fault(1, '503-after-commit'), fault(2, 'truncate-after-commit', { truncateBytes: 5 }), fault(3, 'slow', { delayMs: 5 }), fault(4, 'reset-before-commit')],
    );
    expect(seen.map((s) => s.status)).toEqual([503, 201, 200, null, 201]);
    expect(seen[1]!.bodyError).not.toBeNull();
    expect(seen[3]!.error).toBe('ECONNRESET');
    expect(rows.requests.map((row) => [row.outcome, row.delivery])).toEqual([
      ['committed', 'response'],
      ['replayed', 'truncated'],
      ['read', 'response'],
      ['not-run', 'reset'],
      ['committed', 'response'],
    ]);
  });
});

describe('mailer: fast routes and msw give the same answers and rows', () => {
  it('sends every POST, JSON or not; other methods are unmatched', async () => {
    expect(claims(mailer(), 'POST', '/messages')).toBe(true);
    const { seen, rows } = await same(mailer, [
      ['POST', '/messages', { to: 'alice@example.com' }],
      ['POST', '/messages', { to: 'alice@example.com' }],
      ['POST', '/messages', 'not json'],
      ['GET', '/messages'],
    ]);
    expect(seen.map((s) => s.status)).toEqual([202, 202, 202, 404]);
    expect(rows.requests.map((row) => row.outcome)).toEqual(['committed', 'committed', 'committed', 'unmatched']);
    expect(rows.effects.map((effect) => effect.resourceId)).toEqual(['msg_1', 'msg_2', 'msg_3']);
  });
});

describe('requests the fast matcher leaves to msw', () => {
  it.each([
    ['GET', '/charges/%63ha_1', 'an encoded character (msw decodes it)'],
    ['GET', '/charges/CHARGES', 'the path again, in other case (msw ignores case: the collection)'],
    ['POST', '/CHARGES', 'the collection in other case'],
    ['POST', '/v1/charges', 'a prefix before the path (msw matches */charges)'],
    ['GET', '/charges/charges', 'the path again (the collection to msw)'],
  ])('%s %s: %s', async (method, pathname) => {
    expect(claims(charges(), method, pathname)).toBe(false);
    const { seen } = await same(charges, [
      ['POST', '/charges', { amount: 1 }],
      [method, pathname, method === 'POST' ? { amount: 2 } : undefined],
    ]);
    // msw's answer, not a 404 for a route no one claimed.
    expect(seen[1]!.status).toBe(method === 'POST' ? 201 : 200);
  });

  it('a model whose path is not plain text has no fast routes at all', () => {
    expect(charges({ path: '/charges/:kind' }).fast).toBeUndefined();
  });
});

describe('custom upstreams: msw, as before', () => {
  it('a module of msw handlers has no fast routes and is served through the loopback server', async () => {
    const dir = fixture('custom-upstreams');
    const scenario = parseScenario(
      JSON.stringify({
        target: { kind: 'command', argv: ['node', 'charge-tool.mjs'] },
        upstreams: { billing: { model: 'custom', module: './billing.mjs', baseUrl: 'https://api.billing.example/v1', noun: 'charge' } },
        operations: [{ name: 'charge' }],
      }),
      path.join(dir, 'in-memory.json'),
    );
    const model = await loadModel(scenario.upstreams.billing!, { upstream: 'billing', scenario });
    expect(model.fast).toBeUndefined();
    const harness = await UpstreamHarness.start(model, { name: 'billing' });
    const ledger = new TempLedger();
    harnesses.push(harness);
    ledgers.push(ledger);
    const started = harness.begin();
    const created = await harness.post('/charges', { amount: 100 });
    const rows = await ledger.store(harness, started);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: 'ch_1', amount: 100 });
    expect(rows.requests[0]).toMatchObject({ path: '/charges', outcome: 'committed', committed: true });
    expect(rows.effects.map((effect) => effect.route)).toEqual(['POST /v1/charges']);
  });
});
