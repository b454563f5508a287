/**
 * The in-process (msw) binding of the upstream pipelines: every Outcome kind
 * as a real fetch from this process sees it, the ledger rows it leaves (the
 * same as over loopback), routing by host, pass-through of other hosts, stale
 * callers, and that msw intercepts only while a binding is open.
 */
import http from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FaultBinding } from '../../src/core/schedule.js';
import { CRASH_FAULTS, FAULT_NAMES } from '../../src/faults/registry.js';
import type { CaseRows, RequestRow } from '../../src/ledger/rows.js';
import { CaseRecorder } from '../../src/runner/recorder.js';
import {
  inProcessListening,
  runAsInProcessCaller,
  startInProcessBinding,
  type InProcessBinding,
} from '../../src/upstream/in-process.js';
import type { UpstreamModel } from '../../src/upstream/model.js';
import { UpstreamPipeline } from '../../src/upstream/pipeline.js';
import { charges, mailer, settled, TempLedger, UpstreamHarness } from '../helpers/upstream.js';

const HOLD_LIMIT_MS = 2_000;
const CLIENT_TIMEOUT_MS = 150;
const originalFetch = globalThis.fetch;

/** One upstream served in-process, with a ledger to store its cases in. */
let caseCount = 0;
const nextCaseId = (kind: string): string => `${kind}-${(caseCount += 1)}`;

class InProcessHarness {
  private constructor(
    readonly pipeline: UpstreamPipeline,
    readonly binding: InProcessBinding,
    readonly model: UpstreamModel,
  ) {}

  static async start(model: UpstreamModel, name = 'payments', holdLimitMs = HOLD_LIMIT_MS): Promise<InProcessHarness> {
    const pipeline = new UpstreamPipeline(name, model);
    return new InProcessHarness(pipeline, await startInProcessBinding([pipeline], { holdLimitMs }), model);
  }

  get url(): string {
    return this.binding.urls.get(this.pipeline.name)!;
  }

  begin(faults: FaultBinding[] = []): { recorder: CaseRecorder; crashCalls: number } {
    const recorder = new CaseRecorder(nextCaseId('in-process'), 'op');
    const started = { recorder, crashCalls: 0 };
    this.pipeline.beginCase({ faults, recorder, crashTarget: () => (started.crashCalls += 1) });
    return started;
  }

  fault(fault: string, ordinal = 1): FaultBinding {
    return { upstream: this.pipeline.name, ordinal, fault };
  }

  async close(): Promise<void> {
    this.pipeline.endCase();
    await this.binding.close();
  }
}

const ledger = new TempLedger();
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});
afterAll(() => ledger.close());

async function inProcess(model: UpstreamModel = charges({ honoursIdempotencyKey: true }), name?: string, holdLimitMs?: number): Promise<InProcessHarness> {
  const harness = await InProcessHarness.start(model, name, holdLimitMs);
  open.push(harness);
  return harness;
}

async function store(recorder: CaseRecorder, harness: { pipeline: UpstreamPipeline; model?: UpstreamModel }): Promise<CaseRows> {
  await settled(recorder);
  const traits = new Map([[harness.pipeline.name, (harness.model ?? charges()).traits]]);
  const rows = recorder.finish(traits);
  ledger.ledger.recordCase({ id: recorder.caseId, operation: 'op', kind: 'systematic', scheduleJson: '{}' }, rows, () => []);
  return ledger.ledger.readCase(recorder.caseId);
}

interface Seen {
  status: number | null;
  text: string | null;
  error: { name: string; message: string; cause: string | undefined } | null;
  bodyError: { name: string; message: string } | null;
  headers: Headers | null;
  ms: number;
}

/** A real fetch from this process: what the client saw. */
async function post(url: string, body: unknown, init: { timeoutMs?: number; headers?: Record<string, string> } = {}): Promise<Seen> {
  const started = performance.now();
  const seen: Seen = { status: null, text: null, error: null, bodyError: null, headers: null, ms: 0 };
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...init.headers },
      body: JSON.stringify(body),
      signal: init.timeoutMs === undefined ? undefined : AbortSignal.timeout(init.timeoutMs),
    });
    seen.status = response.status;
    seen.headers = response.headers;
    try {
      seen.text = await response.text();
    } catch (error) {
      seen.bodyError = { name: (error as Error).name, message: (error as Error).message };
    }
  } catch (error) {
    const err = error as Error & { cause?: unknown };
    seen.error = { name: err.name, message: err.message, cause: err.cause?.constructor?.name };
  }
  seen.ms = performance.now() - started;
  return seen;
}

const ROW_FIELDS = ['upstream', 'ordinal', 'method', 'path', 'route', 'idempotencyKey', 'body', 'fault', 'committed', 'outcome', 'delivery', 'upstreamStatus', 'clientStatus'] as const;
const pick = (row: RequestRow): Partial<RequestRow> => Object.fromEntries(ROW_FIELDS.map((field) => [field, row[field]]));

describe('each Outcome kind, through a real fetch', () => {
  it('respond: the upstream\'s status, headers and body arrive, and the ledger records the commit', async () => {
    const harness = await inProcess();
    const started = harness.begin();
    const seen = await post(`${harness.url}/charges`, { amount: 100 }, { headers: { 'idempotency-key': '"k-1"' } });
    const rows = await store(started.recorder, harness);
    expect(seen.status).toBe(201);
    expect(JSON.parse(seen.text!)).toMatchObject({ id: 'cha_1', amount: 100, idempotencyKey: 'k-1' });
    expect(seen.headers!.get('content-type')).toMatch(/json/);
    expect(rows.requests).toHaveLength(1);
    expect(rows.requests[0]).toMatchObject({ committed: true, outcome: 'committed', delivery: 'response', upstreamStatus: 201, clientStatus: 201, idempotencyKey: 'k-1', path: '/charges' });
    expect(rows.requests[0]!.endedMs).not.toBeNull();
    expect(rows.effects).toHaveLength(1);
    expect(rows.effects[0]).toMatchObject({ upstream: 'payments', route: 'POST /charges', resourceId: 'cha_1', key: 'k-1' });
  });

  it('respond with delayMs (slow): the answer is late but whole', async () => {
    const harness = await inProcess();
    const started = harness.begin([{ ...harness.fault('slow'), params: { delayMs: 120 } }]);
    const seen = await post(`${harness.url}/charges`, { amount: 1 });
    const rows = await store(started.recorder, harness);
    expect(seen.status).toBe(201);
    expect(seen.ms).toBeGreaterThanOrEqual(110);
    expect(rows.requests[0]).toMatchObject({ fault: 'slow', committed: true, delivery: 'response', clientStatus: 201 });
  });

  it('respond with delayMs, abandoned by the client: nothing reached it (abandoned, as over loopback), and the commit stands', async () => {
    const harness = await inProcess();
    const started = harness.begin([{ ...harness.fault('slow'), params: { delayMs: 1_000 } }]);
    const seen = await post(`${harness.url}/charges`, { amount: 1 }, { timeoutMs: CLIENT_TIMEOUT_MS });
    const rows = await store(started.recorder, harness);
    expect(seen.error?.name).toBe('TimeoutError');
    expect(seen.ms).toBeLessThan(800);
    expect(rows.requests[0]).toMatchObject({ committed: true, delivery: 'abandoned', clientStatus: null });
  });

  it('reset: a network error before any byte (HttpResponse.error()), committed or not as the fault says', async () => {
    const harness = await inProcess();
    for (const [fault, committed] of [['reset-before-commit', false], ['reset-after-commit', true]] as const) {
      const started = harness.begin([harness.fault(fault)]);
      const seen = await post(`${harness.url}/charges`, { amount: 1 });
      const rows = await store(started.recorder, harness);
      expect(seen.status).toBeNull();
      expect(seen.error).toMatchObject({ name: 'TypeError', message: 'Failed to fetch' });
      expect(rows.requests[0]).toMatchObject({ fault, committed, delivery: 'reset', clientStatus: null });
      expect(rows.effects).toHaveLength(committed ? 1 : 0);
    }
  });

  it('hold: no answer until the client aborts (request.signal), then the row is delivered as held', async () => {
    const harness = await inProcess();
    for (const [fault, committed] of [['timeout-before-commit', false], ['timeout-after-commit', true]] as const) {
      const started = harness.begin([harness.fault(fault)]);
      const seen = await post(`${harness.url}/charges`, { amount: 1 }, { timeoutMs: CLIENT_TIMEOUT_MS });
      // The row is finished as soon as the client gave up, not at the hold limit.
      await settled(started.recorder, 500);
      const rows = await store(started.recorder, harness);
      expect(seen.error?.name).toBe('TimeoutError');
      expect(seen.ms).toBeGreaterThanOrEqual(CLIENT_TIMEOUT_MS - 5);
      expect(seen.ms).toBeLessThan(HOLD_LIMIT_MS / 2);
      expect(rows.requests[0]).toMatchObject({ fault, committed, delivery: 'held', clientStatus: null });
      expect(rows.requests[0]!.endedMs! - rows.requests[0]!.startedMs).toBeLessThan(HOLD_LIMIT_MS / 2);
    }
  });

  it('hold: a client that never gives up gets a network error at the hold limit', async () => {
    const harness = await inProcess(charges(), 'payments', 300);
    const started = harness.begin([harness.fault('timeout-after-commit')]);
    const seen = await post(`${harness.url}/charges`, { amount: 1 });
    const rows = await store(started.recorder, harness);
    expect(seen.error).toMatchObject({ name: 'TypeError', message: 'Failed to fetch' });
    expect(seen.ms).toBeGreaterThanOrEqual(290);
    expect(rows.requests[0]).toMatchObject({ committed: true, delivery: 'held' });
  });

  it('hold: a node:http client that times out is noticed too (its request carries no signal under msw)', async () => {
    const harness = await inProcess();
    const started = harness.begin([harness.fault('timeout-before-commit')]);
    const t0 = performance.now();
    const error = await new Promise<Error>((resolve) => {
      const req = http.request(`${harness.url}/charges`, { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: CLIENT_TIMEOUT_MS });
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', resolve);
      req.on('response', () => resolve(new Error('unexpected response')));
      req.end('{"amount":1}');
    });
    expect(error.message).toBe('client timeout');
    await settled(started.recorder, 500);
    const rows = await store(started.recorder, harness);
    expect(performance.now() - t0).toBeLessThan(HOLD_LIMIT_MS / 2);
    expect(rows.requests[0]).toMatchObject({ committed: false, delivery: 'held' });
  });

  it('hold: closing the binding releases it', async () => {
    const harness = await InProcessHarness.start(charges());
    const started = harness.begin([harness.fault('timeout-after-commit')]);
    const pending = post(`${harness.url}/charges`, { amount: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await harness.close();
    const seen = await pending;
    expect(seen.error?.name).toBe('TypeError');
    expect(seen.ms).toBeLessThan(HOLD_LIMIT_MS / 2);
    await settled(started.recorder, 500);
    expect(started.recorder.requests[0]).toMatchObject({ delivery: 'held' });
  });

  it('truncate: the status and headers, part of the body, then a stream error', async () => {
    const harness = await inProcess();
    const started = harness.begin([{ ...harness.fault('truncate-after-commit'), params: { truncateBytes: 8 } }]);
    const response = await fetch(`${harness.url}/charges`, { method: 'POST', body: '{"amount":1}' });
    expect(response.status).toBe(201);
    const reader = response.body!.getReader();
    const chunks: Uint8Array[] = [];
    let failure: Error | undefined;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
      }
    } catch (error) {
      failure = error as Error;
    }
    const received = Buffer.concat(chunks).toString();
    expect(received).toBe('{"amount');
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as Error & { cause?: { code?: string } }).cause?.code).toBe('UND_ERR_SOCKET');
    const rows = await store(started.recorder, harness);
    expect(rows.requests[0]).toMatchObject({ committed: true, delivery: 'truncated', upstreamStatus: 201, clientStatus: 201 });
    expect(rows.effects).toHaveLength(1);
  });

  it('truncate: response.json() fails for the client, as over a socket', async () => {
    const harness = await inProcess();
    harness.begin([harness.fault('truncate-after-commit')]);
    const seen = await post(`${harness.url}/charges`, { amount: 1 });
    expect(seen.status).toBe(201);
    expect(seen.bodyError?.name).toBe('TypeError');
  });

  it('crash (not supported in-process, but bound anyway): crashTarget is called and the request is dropped', async () => {
    const harness = await inProcess();
    const started = harness.begin([harness.fault('crash-after-commit')]);
    const seen = await post(`${harness.url}/charges`, { amount: 1 });
    const rows = await store(started.recorder, harness);
    expect(seen.error?.name).toBe('TypeError');
    expect(started.crashCalls).toBe(1);
    expect(rows.requests[0]).toMatchObject({ committed: true, delivery: 'crashed' });
  });
});

describe('the same ledger as over loopback', () => {
  const faults = FAULT_NAMES.filter((fault) => !CRASH_FAULTS.includes(fault));
  it.each(faults)('%s', async (fault) => {
    const timeoutMs = fault.startsWith('timeout') ? CLIENT_TIMEOUT_MS : 5_000;
    const binding = (ordinal: number): FaultBinding => ({ upstream: 'payments', ordinal, fault, params: { delayMs: 20 } });
    const headers = { 'idempotency-key': 'k-same' };

    const loopback = await UpstreamHarness.start(charges({ honoursIdempotencyKey: true }));
    open.push(loopback);
    const overSocket = loopback.begin([binding(1)], nextCaseId('loopback'));
    await loopback.post('/charges', { amount: 7 }, { headers, timeoutMs });
    await loopback.post('/charges', { amount: 7 }, { headers, timeoutMs });
    const socketRows = await store(overSocket.recorder, loopback);

    const harness = await inProcess();
    const started = harness.begin([binding(1)]);
    await post(`${harness.url}/charges`, { amount: 7 }, { headers, timeoutMs });
    await post(`${harness.url}/charges`, { amount: 7 }, { headers, timeoutMs });
    const rows = await store(started.recorder, harness);

    expect(rows.requests.map(pick)).toEqual(socketRows.requests.map(pick));
    expect(rows.effects.map((effect) => [effect.route, effect.key, effect.resourceId, effect.fingerprint])).toEqual(
      socketRows.effects.map((effect) => [effect.route, effect.key, effect.resourceId, effect.fingerprint]),
    );
  });
});

describe('routing and lifetime', () => {
  it('gives each upstream its own .test URL and routes by host', async () => {
    const payments = new UpstreamPipeline('payments', charges());
    const mail = mailer();
    const mails = new UpstreamPipeline('mailer', mail);
    const binding = await startInProcessBinding([payments, mails], { holdLimitMs: HOLD_LIMIT_MS });
    open.push(binding);
    expect(Object.fromEntries(binding.urls)).toEqual({
      payments: 'http://payments.upstream.retryproof.test',
      mailer: 'http://mailer.upstream.retryproof.test',
    });
    const recorder = new CaseRecorder('routing', 'op');
    for (const pipeline of [payments, mails]) pipeline.beginCase({ faults: [], recorder, crashTarget: () => undefined });
    expect((await post(`${binding.urls.get('mailer')}/messages`, { to: 'a@example.com' })).status).toBe(202);
    expect((await post(`${binding.urls.get('payments')}/charges`, { amount: 1 })).status).toBe(201);
    expect(recorder.requests.map((row) => `${row.upstream} ${row.route}`)).toEqual(['mailer POST /messages', 'payments POST /charges']);
  });

  it('lets other hosts pass through to the network (onUnhandledRequest: bypass)', async () => {
    const harness = await inProcess();
    const loopback = await UpstreamHarness.start(charges(), { name: 'real' });
    open.push(loopback);
    const started = loopback.begin([], nextCaseId('loopback'));
    const seen = await post(`${loopback.url}/charges`, { amount: 3 });
    expect(seen.status).toBe(201);
    // The real server answered (and recorded it); the in-process upstream saw nothing.
    expect(started.recorder.requests).toHaveLength(1);
    const own = harness.begin();
    expect(own.recorder.requests).toHaveLength(0);
  });

  it('answers 503 outside a case, without recording anything', async () => {
    const harness = await inProcess();
    const seen = await post(`${harness.url}/charges`, { amount: 1 });
    expect(seen.status).toBe(503);
  });

  it('refuses a stale caller (a call abandoned in an earlier case) without touching the ledger', async () => {
    const harness = await inProcess();
    const started = harness.begin();
    const stale = await runAsInProcessCaller({ stale: true }, () => post(`${harness.url}/charges`, { amount: 1 }));
    const current = await runAsInProcessCaller({ stale: false }, () => post(`${harness.url}/charges`, { amount: 2 }));
    expect(stale.error?.name).toBe('TypeError');
    expect(current.status).toBe(201);
    expect(started.recorder.requests.map((row) => row.body)).toEqual(['{"amount":2}']);
  });

  it('intercepts only while a binding is open: two bindings get distinct hosts, and the last close restores fetch', async () => {
    expect(inProcessListening()).toBe(false);
    expect(globalThis.fetch).toBe(originalFetch);
    const first = await startInProcessBinding([new UpstreamPipeline('payments', charges())], { holdLimitMs: HOLD_LIMIT_MS });
    const second = await startInProcessBinding([new UpstreamPipeline('payments', charges())], { holdLimitMs: HOLD_LIMIT_MS });
    try {
      expect(inProcessListening()).toBe(true);
      expect(globalThis.fetch).not.toBe(originalFetch);
      expect(first.urls.get('payments')).toBe('http://payments.upstream.retryproof.test');
      expect(second.urls.get('payments')).toBe('http://payments-2.upstream.retryproof.test');
      await first.close();
      await first.close(); // idempotent
      expect(inProcessListening()).toBe(true);
    } finally {
      await second.close();
    }
    expect(inProcessListening()).toBe(false);
    expect(globalThis.fetch).toBe(originalFetch);
  });
});
