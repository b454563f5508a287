/**
 * The http client: how an operation's request is built (templates, the key
 * header, omitKey, dry-run headers and query, typed body values) and what is
 * observed when it is sent (status, lower-cased headers, JSON body, a bounded
 * body, and transport errors — abandon, refused, reset — as httpStatus null).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { Agent } from 'undici';
import { mismatchInput } from '../../src/runner/inputs.js';
import { templateValues } from '../../src/runner/template-values.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { OperationSpec } from '../../src/scenario/schema.js';
import { buildRequest, createClientAgent, parseJsonBody, sendRequest, type SentRequest } from '../../src/targets/http-client.js';

/** Operations as a loaded scenario gives them (defaults filled in). */
function operations(ops: unknown[]): OperationSpec[] {
  const text = YAML.stringify({
    target: { kind: 'http', baseUrl: 'http://127.0.0.1:1' },
    upstreams: { payments: { model: 'resource', path: '/charges' } },
    operations: ops,
  });
  return parseScenario(text, '/tmp/http-client-test.yaml').operations;
}

const URLS = new Map([['payments', 'http://127.0.0.1:4242']]);
const values = (operation: OperationSpec, key: string, input = operation.input): Map<string, string> =>
  templateValues({ operation, urls: URLS, caseDir: '/tmp/case dir' }, key, input);

const [order] = operations([
  {
    name: 'create-order',
    request: {
      method: 'POST',
      path: '/orders/{{input.customer}}?note={{input.note}}',
      headers: { 'X-Upstream': '{{upstreams.payments.url}}', 'X-Op': '{{operation}}' },
      body: {
        amount: '{{input.amount}}',
        flag: '{{ input.flag }}',
        label: 'order {{input.amount}} for {{input.customer}}',
        both: '{{input.amount}}{{input.amount}}',
        nested: [{ key: '{{key}}', dir: '{{case.dir}}' }, 7, null, true],
      },
    },
    input: { amount: 100, customer: 'alice smith', note: 'a&b', flag: false },
    dryRun: { headers: { 'Dry-Run': 'true', 'X-Reason': 'for {{input.customer}}' }, query: { dry_run: 'true', who: '{{input.customer}}' } },
  },
]) as [OperationSpec];

describe('buildRequest', () => {
  it('renders method, path (percent-encoded values), headers and the JSON body, with typed exact input values', () => {
    const sent = buildRequest(order, values(order, 'rp-k-1'), order.input, 'rp-k-1');
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/orders/alice%20smith?note=a%26b');
    expect(sent.headers).toEqual({
      'X-Upstream': 'http://127.0.0.1:4242',
      'X-Op': 'create-order',
      'Idempotency-Key': 'rp-k-1',
      'content-type': 'application/json',
    });
    expect(sent.body).toEqual({
      amount: 100,
      flag: false,
      label: 'order 100 for alice smith',
      both: '100100',
      nested: [{ key: 'rp-k-1', dir: '/tmp/case dir' }, 7, null, true],
    });
  });

  it('sends the key in keyHeader, leaves it out for omitKey, and keeps a key header the scenario writes itself', () => {
    const [custom, quoted] = operations([
      { name: 'custom', keyHeader: 'X-Request-Id', request: { path: '/a', headers: { 'x-request-id': 'stale' } } },
      { name: 'quoted', request: { path: '/b', headers: { 'idempotency-key': '"{{key}}"' } } },
    ]) as [OperationSpec, OperationSpec];
    expect(buildRequest(custom, values(custom, 'k1'), {}, 'k1').headers).toEqual({ 'x-request-id': 'stale' });
    const [plainCustom] = operations([{ name: 'custom', keyHeader: 'X-Request-Id', request: { path: '/a' } }]) as [OperationSpec];
    expect(buildRequest(plainCustom, values(plainCustom, 'k1'), {}, 'k1').headers).toEqual({ 'X-Request-Id': 'k1' });
    // The IETF draft's Structured Field form, written by the scenario.
    expect(buildRequest(quoted, values(quoted, 'k2'), {}, 'k2').headers).toEqual({ 'idempotency-key': '"k2"' });
    // omitKey removes it, whoever wrote it; no body, no content-type.
    const omitted = buildRequest(quoted, values(quoted, 'k2'), {}, 'k2', { omitKey: true });
    expect(omitted.headers).toEqual({});
    expect(omitted).not.toHaveProperty('body');
    expect(buildRequest(order, values(order, 'k3'), order.input, 'k3', { omitKey: true }).headers).not.toHaveProperty('Idempotency-Key');
  });

  it('adds the dry-run headers and query only for a dry run', () => {
    const dry = buildRequest(order, values(order, 'k'), order.input, 'k', { dryRun: true });
    expect(dry.path).toBe('/orders/alice%20smith?note=a%26b&dry_run=true&who=alice%20smith');
    expect(dry.headers).toMatchObject({ 'Dry-Run': 'true', 'X-Reason': 'for alice smith', 'Idempotency-Key': 'k' });
    const [noQuery] = operations([{ name: 'x', request: { path: '/x' }, dryRun: { query: { dry: '1' } } }]) as [OperationSpec];
    expect(buildRequest(noQuery, values(noQuery, 'k'), {}, 'k', { dryRun: true }).path).toBe('/x?dry=1');
    expect(buildRequest(noQuery, values(noQuery, 'k'), {}, 'k').path).toBe('/x');
  });

  it('uses the mismatch input (same key, another payload) with its type', () => {
    const input = mismatchInput(order)!;
    const sent = buildRequest(order, values(order, 'k', input), input, 'k', { mismatch: true });
    expect(sent.body).toMatchObject({ amount: 101, label: 'order 101 for alice smith' });
    expect(sent.headers['Idempotency-Key']).toBe('k');
  });
});

describe('parseJsonBody', () => {
  it('parses JSON that is declared or plainly an object or array, and nothing else', () => {
    expect(parseJsonBody('{"a":1}', 'text/plain')).toEqual({ a: 1 });
    expect(parseJsonBody('"text"', 'application/problem+json')).toBe('text');
    expect(parseJsonBody('42', 'application/json; charset=utf-8')).toBe(42);
    expect(parseJsonBody('42', 'text/plain')).toBeNull();
    expect(parseJsonBody('{not json', 'application/json')).toBeNull();
    expect(parseJsonBody('', 'application/json')).toBeNull();
  });
});

describe('sendRequest', () => {
  let server: http.Server;
  let base: string;
  let agent: Agent;
  const closedEarly: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        switch (url.pathname) {
          case '/echo': {
            const text = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
            res.writeHead(201, { 'content-type': 'application/json', 'Idempotent-Replayed': 'true', 'X-Multi': ['a', 'b'] });
            res.end(text);
            return;
          }
          case '/text':
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.end('plain words');
            return;
          case '/big':
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(`{"pad":"${'x'.repeat(200_000)}"}`);
            return;
          case '/hang':
            // Never answers; remember when the client closes.
            req.socket.once('close', () => closedEarly.push('hang'));
            return;
          case '/reset':
            req.socket.resetAndDestroy();
            return;
          case '/cut':
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
            res.write('{"partial":');
            setTimeout(() => req.socket.destroy(), 20);
            return;
          default:
            res.writeHead(404).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    agent = createClientAgent();
  });
  afterAll(async () => {
    await agent.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (path: string, extra: Partial<SentRequest> = {}): SentRequest => ({
    method: 'POST',
    path,
    headers: { 'Idempotency-Key': 'k-1', 'content-type': 'application/json' },
    body: { amount: 100 },
    ...extra,
  });

  it('sends the request as built and observes status, lower-cased headers and the JSON body', async () => {
    const seen = await sendRequest(agent, `${base}/`, post('/echo?x=1'), { timeoutMs: 2000 });
    expect(seen).toMatchObject({ httpStatus: 201, error: null, abandoned: false, bodyTruncated: false });
    expect(seen.headers).toMatchObject({ 'content-type': 'application/json', 'idempotent-replayed': 'true', 'x-multi': 'a, b' });
    const echoed = seen.bodyJson as { method: string; url: string; headers: Record<string, string>; body: string };
    expect(echoed.method).toBe('POST');
    expect(echoed.url).toBe('/echo?x=1');
    expect(echoed.headers['idempotency-key']).toBe('k-1');
    expect(JSON.parse(echoed.body)).toEqual({ amount: 100 });
    expect(seen.bodyText).toBe(JSON.stringify(echoed));
  });

  it('keeps a body that is not JSON as text, with no parse', async () => {
    const seen = await sendRequest(agent, base, { method: 'GET', path: '/text', headers: {} }, { timeoutMs: 2000 });
    expect(seen).toMatchObject({ httpStatus: 200, bodyText: 'plain words', bodyJson: null });
  });

  it('bounds the body it keeps', async () => {
    const seen = await sendRequest(agent, base, { method: 'GET', path: '/big', headers: {} }, { timeoutMs: 2000, maxBodyBytes: 1000 });
    expect(seen).toMatchObject({ httpStatus: 200, bodyTruncated: true, bodyJson: null });
    expect(seen.bodyText.length).toBe(1000);
  });

  it('abandons a request at the timeout: httpStatus null, "abandoned after N ms", and the connection is closed', async () => {
    const started = performance.now();
    const seen = await sendRequest(agent, base, post('/hang'), { timeoutMs: 300 });
    expect(seen).toMatchObject({ httpStatus: null, headers: null, abandoned: true, error: 'abandoned after 300 ms' });
    expect(performance.now() - started).toBeLessThan(1500);
    await expect.poll(() => closedEarly.includes('hang'), { timeout: 2000 }).toBe(true);
  });

  it('reports a refused connection, a reset and a cut-off body as transport errors in words', async () => {
    const free = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(port));
      });
    });
    const refused = await sendRequest(agent, `http://127.0.0.1:${free}`, post('/echo'), { timeoutMs: 2000 });
    expect(refused).toMatchObject({ httpStatus: null, abandoned: false });
    expect(refused.error).toMatch(/connection refused/);

    const reset = await sendRequest(agent, base, post('/reset'), { timeoutMs: 2000 });
    expect(reset).toMatchObject({ httpStatus: null, abandoned: false });
    expect(reset.error).toMatch(/reset|closed/);

    const cut = await sendRequest(agent, base, { method: 'GET', path: '/cut', headers: {} }, { timeoutMs: 2000 });
    expect(cut.httpStatus).toBeNull();
    expect(cut.error).toMatch(/after status 200 and 11 bytes of the body/);
    expect(cut.bodyText).toBe('{"partial":');
  });

  it('sends two requests at once on one agent', async () => {
    const [a, b] = await Promise.all([
      sendRequest(agent, base, post('/echo'), { timeoutMs: 2000 }),
      sendRequest(agent, base, post('/echo'), { timeoutMs: 2000 }),
    ]);
    expect([a.httpStatus, b.httpStatus]).toEqual([201, 201]);
  });
});
