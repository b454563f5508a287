/**
 * Built-in models served over a real socket both ways (fast routes, and msw
 * handlers alone): form bodies on every model, the resource's Stripe-shaped objects and
 * errors, replays, reused keys; and the error bodies faults answer with on
 * each upstream (its style, or the entry's declared errorBody).
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultBinding } from '../../src/core/schedule.js';
import type { CaseRows } from '../../src/ledger/rows.js';
import { RetryproofError } from '../../src/errors.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { UpstreamModel } from '../../src/upstream/model.js';
import { counterModel } from '../../src/upstream/models/counter.js';
import { deployerModel } from '../../src/upstream/models/deployer.js';
import { loadModel } from '../../src/upstream/models/index.js';
import { mailerModel } from '../../src/upstream/models/mailer.js';
import { resourceModel, type ResourceOptions } from '../../src/upstream/models/resource.js';
import { resourceStyle } from '../../src/upstream/models/resource-style.js';
import { fixture } from '../helpers/scenario.js';
import { TempLedger, UpstreamHarness, type ClientResult } from '../helpers/upstream.js';

const harnesses: UpstreamHarness[] = [];
const ledgers: TempLedger[] = [];
afterEach(async () => {
  try {
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
  } finally {
    for (const ledger of ledgers.splice(0)) ledger.close();
  }
});

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function intents(overrides: Partial<ResourceOptions> = {}): UpstreamModel {
  return resourceModel({ path: '/v1/payment_intents', honoursIdempotencyKey: true, clientRefField: 'ref', noun: 'payment', ignoreFields: [], style: 'stripe', ...overrides });
}

/** The same model without its fast routes: every request through its msw handlers. */
function mswOnly(model: UpstreamModel): UpstreamModel {
  return { handlers: model.handlers, reset: () => model.reset(), traits: model.traits, ...(model.errorBody && { errorBody: model.errorBody }) };
}

type Step = { method?: string; path: string; body?: string | object; headers?: Record<string, string> };
interface Played {
  seen: ClientResult[];
  rows: CaseRows;
}

async function play(model: UpstreamModel, steps: Step[], faults: FaultBinding[] = []): Promise<Played> {
  const harness = await UpstreamHarness.start(model);
  const ledger = new TempLedger();
  harnesses.push(harness);
  ledgers.push(ledger);
  const started = harness.begin(faults);
  const seen: ClientResult[] = [];
  for (const step of steps) seen.push(await harness.send(step.method ?? 'POST', step.path, step.body, { headers: step.headers }));
  return { seen, rows: await ledger.store(harness, started) };
}

/** Plays the steps on the fast routes and on msw alone; both must answer and record alike (less clocks). */
async function both(make: () => UpstreamModel, steps: Step[], faults: FaultBinding[] = []): Promise<Played> {
  const fast = await play(make(), steps, faults);
  const msw = await play(mswOnly(make()), steps, faults);
  const view = ({ seen, rows }: Played) => ({
    seen: seen.map((s) => ({ status: s.status, json: withoutClock(s.json), replayed: s.headers['idempotent-replayed'], key: s.headers['idempotency-key'] })),
    rows: rows.requests.map((row) => [row.outcome, row.committed, row.upstreamStatus]),
    effects: rows.effects.map((effect) => effect.body),
  });
  expect(view(fast)).toEqual(view(msw));
  return fast;
}

function withoutClock(json: unknown): unknown {
  return JSON.parse(JSON.stringify(json ?? null).replace(/"created":(\d+|"[^"]*")/g, '"created":0'));
}

describe('form bodies on the plain resource (today\'s answers otherwise unchanged)', () => {
  it('a form-encoded create commits its decoded fields; before, it was 400 "body must be JSON"', async () => {
    const { seen, rows } = await both(
      () => resourceModel({ path: '/charges', honoursIdempotencyKey: true, clientRefField: 'ref', noun: 'charge', ignoreFields: [] }),
      [{ path: '/charges', body: 'amount=100&metadata[order]=7&expand[]=a', headers: { ...FORM, 'idempotency-key': 'k-1' } }],
    );
    expect(seen[0]!.status).toBe(201);
    expect(seen[0]!.json).toMatchObject({ id: 'cha_1', amount: '100', metadata: { order: '7' }, expand: ['a'], idempotencyKey: 'k-1' });
    expect(JSON.parse(rows.effects[0]!.body)).toEqual({ amount: '100', metadata: { order: '7' }, expand: ['a'] });
  });
});

describe('form bodies on the other built-in models', () => {
  it('mailer: the effect is the decoded fields, not the raw text', async () => {
    const { rows } = await both(() => mailerModel({ path: '/messages', noun: 'email', ignoreFields: [] }), [
      { path: '/messages', body: 'to=a%40b.c&vars[order]=7', headers: FORM },
    ]);
    expect(JSON.parse(rows.effects[0]!.body)).toEqual({ to: 'a@b.c', vars: { order: '7' } });
  });

  it('counter: a form\'s "by" is the integer written as text; JSON stays strict', async () => {
    const { seen } = await both(() => counterModel({ path: '/counter', noun: 'increment', ignoreFields: [] }), [
      { path: '/counter', body: 'by=2', headers: FORM },
      { path: '/counter', body: 'by=x', headers: FORM },
      { path: '/counter', body: { by: '2' } },
    ]);
    expect(seen.map((s) => [s.status, s.json])).toEqual([
      [200, { value: 2 }],
      [400, { error: '"by" must be an integer' }],
      [400, { error: '"by" must be an integer' }],
    ]);
  });

  it('deployer: PUT version=... deploys; the same version again is no effect', async () => {
    const put = (version: string): Step => ({ method: 'PUT', path: '/deployment', body: `version=${version}`, headers: FORM });
    const { seen, rows } = await both(() => deployerModel({ path: '/deployment', initialVersion: null, noun: 'deploy', ignoreFields: [] }), [put('v2'), put('v2')]);
    expect(seen.map((s) => s.json)).toEqual([
      { version: 'v2', previous: null, changed: true },
      { version: 'v2', changed: false },
    ]);
    expect(rows.effects).toHaveLength(1);
  });
});

describe('style: stripe', () => {
  const create = (body: string, key?: string): Step => ({ path: '/v1/payment_intents', body, headers: { ...FORM, ...(key && { 'idempotency-key': key }) } });

  it('answers 200 with a Stripe object named after the path, and echoes the key', async () => {
    const { seen, rows } = await both(intents, [create('amount=100&currency=eur&metadata[order]=7', 'k-1')]);
    expect(seen[0]!.status).toBe(200);
    expect(seen[0]!.headers['idempotency-key']).toBe('k-1');
    const body = seen[0]!.json as Record<string, unknown>;
    expect(Object.keys(body).slice(0, 2)).toEqual(['id', 'object']);
    expect(body).toMatchObject({ id: 'pi_1', object: 'payment_intent', amount: '100', currency: 'eur', metadata: { order: '7' }, livemode: false });
    expect(body.created).toEqual(expect.any(Number));
    expect(body).not.toHaveProperty('idempotencyKey');
    expect(rows.effects.map((effect) => effect.resourceId)).toEqual(['pi_1']);
  });

  it('replays the first answer with Idempotent-Replayed: true, also for the same parameters in another order', async () => {
    const { seen, rows } = await both(intents, [
      create('amount=100&currency=eur', 'k-1'),
      create('amount=100&currency=eur', 'k-1'),
      create('currency=eur&amount=100', 'k-1'),
    ]);
    expect(seen.map((s) => [s.status, s.headers['idempotent-replayed']])).toEqual([
      [200, undefined],
      [200, 'true'],
      [200, 'true'],
    ]);
    expect(seen[2]!.json).toEqual(seen[0]!.json);
    expect(rows.requests.map((row) => row.outcome)).toEqual(['committed', 'replayed', 'replayed']);
    expect(rows.effects).toHaveLength(1);
  });

  it('refuses a reused key with other parameters: 400 idempotency_error naming the key, no effect', async () => {
    const { seen, rows } = await both(intents, [create('amount=100', 'k-1'), create('amount=200', 'k-1')]);
    expect(seen[1]!.status).toBe(400);
    expect(seen[1]!.json).toEqual({
      error: {
        type: 'idempotency_error',
        message: "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'k-1' if you meant to execute a different request.",
      },
    });
    expect(rows.requests[1]).toMatchObject({ outcome: 'rejected', committed: false });
    expect(rows.effects).toHaveLength(1);
  });

  it('words a key in flight as Stripe: 409 idempotency_error', () => {
    const answer = resourceStyle('stripe', 'payment', '/v1/payment_intents').keyInFlight('k-1');
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ error: { type: 'idempotency_error', message: expect.stringContaining('another in-progress request using this Idempotent Key') } });
  });

  it('looks up as a Stripe list, finds by key, and answers an unknown id with resource_missing', async () => {
    const { seen } = await both(intents, [
      create('amount=100', 'k-1'),
      { method: 'GET', path: '/v1/payment_intents?ref=k-1' },
      { method: 'GET', path: '/v1/payment_intents/pi_1' },
      { method: 'GET', path: '/v1/payment_intents/pi_9' },
    ]);
    expect(seen[1]!.json).toMatchObject({ object: 'list', has_more: false, url: '/v1/payment_intents', data: [{ id: 'pi_1' }] });
    expect(seen[2]!.json).toMatchObject({ id: 'pi_1', object: 'payment_intent' });
    expect(seen[3]!.status).toBe(404);
    expect(seen[3]!.json).toEqual({ error: { type: 'invalid_request_error', code: 'resource_missing', param: 'id', message: "No such payment_intent: 'pi_9'" } });
  });

  it('refuses a body that is neither JSON nor a form with an invalid_request_error', async () => {
    const { seen, rows } = await both(intents, [{ path: '/v1/payment_intents', body: 'amount=100', headers: { 'content-type': 'text/plain' } }]);
    expect(seen[0]!.status).toBe(400);
    expect(seen[0]!.json).toEqual({ error: { type: 'invalid_request_error', message: 'body must be JSON or application/x-www-form-urlencoded' } });
    expect(rows.effects).toHaveLength(0);
  });

  it('names other objects after the path: /v1/customers makes cus_N customers', async () => {
    const { seen } = await both(() => intents({ path: '/v1/customers' }), [{ path: '/v1/customers', body: 'email=a%40b.c', headers: FORM }]);
    expect(seen[0]!.json).toMatchObject({ id: 'cus_1', object: 'customer', email: 'a@b.c' });
  });
});

describe('fault answers in the upstream\'s words', () => {
  const fault = (ordinal: number, name: string, params: FaultBinding['params'] = {}): FaultBinding => ({ upstream: 'payments', ordinal, fault: name, params });
  const post = (n: number): Step => ({ path: '/v1/payment_intents', body: `amount=${n}`, headers: FORM });

  it('stripe style: api_error for 5xx, rate_limit for 429, idempotency_error for 409, invalid_request_error for a permanent 400', async () => {
    const { seen } = await both(
      intents,
      [post(1), post(2), post(3), post(4), post(5), post(6)],
      [fault(1, '503-before-commit'), fault(2, '503-after-commit'), fault(3, '500-after-commit'), fault(4, '429-retry-after'), fault(5, '409-in-flight'), fault(6, 'permanent-error')],
    );
    expect(seen.map((s) => [s.status, s.json])).toEqual([
      [503, { error: { type: 'api_error', message: 'service unavailable' } }],
      [503, { error: { type: 'api_error', message: 'service unavailable' } }],
      [500, { error: { type: 'api_error', message: 'internal server error' } }],
      [429, { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'too many requests' } }],
      [409, { error: { type: 'idempotency_error', message: 'a request with this key is still being processed' } }],
      [400, { error: { type: 'invalid_request_error', message: 'permanent error: the request is invalid' } }],
    ]);
  });

  it('plain style: {"error": message}, as before', async () => {
    const { seen } = await both(() => intents({ style: 'plain' }), [post(1)], [fault(1, '503-before-commit')]);
    expect(seen[0]!.json).toEqual({ error: 'service unavailable' });
  });

  const scenarioWith = (upstream: Record<string, unknown>) =>
    parseScenario(
      JSON.stringify({ target: { kind: 'command', argv: ['node', 'tool.mjs'] }, upstreams: { payments: upstream }, operations: [{ name: 'send' }] }),
      path.join(fixture('custom-upstreams'), 'error-body.json'),
    );
  const modelOf = (upstream: Record<string, unknown>) => {
    const scenario = scenarioWith(upstream);
    return loadModel(scenario.upstreams.payments!, { upstream: 'payments', scenario });
  };

  it('an upstream entry\'s errorBody template wins: "{{status}}" alone a number, {{message}} in text', async () => {
    const errorBody = { error: { code: '{{status}}', detail: 'upstream said: {{message}} ({{status}})' } };
    const mailerModel = await modelOf({ model: 'mailer', errorBody });
    const { seen } = await play(mailerModel, [{ path: '/messages', body: { to: 'a' } }], [fault(1, '503-after-commit')]);
    expect(seen[0]!.json).toEqual({ error: { code: 503, detail: 'upstream said: service unavailable (503)' } });
    // Over a style's own wording too.
    const stripe = await modelOf({ model: 'resource', path: '/v1/payment_intents', style: 'stripe', errorBody: { message: '{{message}}' } });
    const styled = await play(stripe, [post(1)], [fault(1, 'permanent-error', { status: 404 })]);
    expect(styled.seen[0]!.json).toEqual({ message: 'permanent error: the request is invalid' });
  });

  it('a custom upstream takes an errorBody too', async () => {
    const model = await modelOf({ model: 'custom', module: './billing.mjs', baseUrl: 'https://api.billing.example/v1', errorBody: { fault: '{{message}}' } });
    const { seen } = await play(model, [{ path: '/charges', body: { amount: 1 } }], [fault(1, '500-after-commit')]);
    expect(seen[0]!.json).toEqual({ fault: 'internal server error' });
  });

  it('an unknown style is refused, naming the file, the field and the styles there are', () => {
    let error: unknown;
    try {
      scenarioWith({ model: 'resource', style: 'strip' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RetryproofError);
    expect((error as RetryproofError).describe()).toContain('error-body.json: upstreams.payments.style: got "strip"; expected one of: plain, stripe');
  });

  it('an unknown placeholder is refused, naming the file, the field and what may be used', () => {
    let error: unknown;
    try {
      scenarioWith({ model: 'counter', errorBody: { error: '{{msg}}' } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RetryproofError);
    const described = (error as RetryproofError).describe();
    expect(described).toContain('error-body.json: upstreams.payments.errorBody: ');
    expect(described).toContain('unknown placeholder {{msg}}: an errorBody may use only {{status}} and {{message}}');
  });
});
