/**
 * The forward proxy of proxy mode, with a real TLS client (undici's
 * ProxyAgent trusting the run's CA): a declared host reaches its upstream, an
 * undeclared one is refused with its name, and the upstream's network faults
 * reach the client as the same failure they are without a proxy (a reset is a
 * reset, a hold a hang, a truncation a cut body), never as a proxy's 502.
 */
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProxyCertificates, type ProxyCertificates } from '../../../src/upstream/proxy/certificates.js';
import { startForwardProxy, type ForwardProxy } from '../../../src/upstream/proxy/forward-proxy.js';
import { RefusalLog } from '../../../src/upstream/proxy/refusals.js';
import { charges, settled, UpstreamHarness } from '../../helpers/upstream.js';

const HOST = 'api.example-bank.test';
let certificates: ProxyCertificates;
let upstream: UpstreamHarness;
let proxy: ForwardProxy;
let client: ProxyAgent;
const refusals = new RefusalLog();

beforeAll(async () => {
  certificates = await makeProxyCertificates([HOST, 'files.example-bank.test']);
  upstream = await UpstreamHarness.start(charges());
  proxy = await startForwardProxy({ hosts: new Map([[HOST, upstream.server.handle]]), certificates, refusals });
  client = new ProxyAgent({ uri: proxy.url, requestTls: { ca: certificates.caPem } });
});

afterAll(async () => {
  await client?.close();
  await proxy?.close();
  await upstream?.close();
});

/** One POST /charges through the proxy (or straight to the loopback server): what the client got. */
async function charge(via: 'proxy' | 'direct', options: { timeoutMs?: number; url?: string } = {}): Promise<{ status?: number; body?: string; error?: string }> {
  const url = options.url ?? (via === 'proxy' ? `https://${HOST}/charges` : `${upstream.url}/charges`);
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 100 }),
      dispatcher: via === 'proxy' ? client : undefined,
      signal: options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined,
    });
    try {
      return { status: response.statusCode, body: await response.body.text() };
    } catch (error) {
      return { status: response.statusCode, error: errorName(error) };
    }
  } catch (error) {
    return { error: errorName(error) };
  }
}

function errorName(error: unknown): string {
  const e = error as { code?: string; name?: string; cause?: { code?: string } };
  return e.cause?.code ?? e.code ?? e.name ?? String(error);
}

describe('a declared host', () => {
  it('reaches its upstream over TLS with the run CA, and the request is recorded with its host', async () => {
    const started = upstream.begin();
    const answer = await charge('proxy');
    await settled(started.recorder);
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body!)).toMatchObject({ amount: 100 });
    expect(started.recorder.requests).toHaveLength(1);
    expect(started.recorder.effects).toHaveLength(1);
  });

  it('is refused by a client that does not trust the run CA (the certificate is the CA\'s, not a public one)', async () => {
    const untrusting = new ProxyAgent({ uri: proxy.url });
    upstream.begin();
    try {
      const response = await request(`https://${HOST}/charges`, { method: 'POST', body: '{}', dispatcher: untrusting }).then(
        (r) => `status ${r.statusCode}`,
        (error: unknown) => errorName(error),
      );
      expect(response).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED/);
    } finally {
      await untrusting.close();
    }
  });
});

describe('doors', () => {
  it("a request through an invocation's own proxy port is attributed to that invocation (the concurrency probe's racers)", async () => {
    const started = upstream.begin();
    // Two invocations live at once: only the port a request came in on can say whose it is.
    started.recorder.live.add(6);
    started.recorder.live.add(7);
    const door = await proxy.door(7);
    const viaDoor = new ProxyAgent({ uri: door.url, requestTls: { ca: certificates.caPem } });
    try {
      await charge('proxy');
      const response = await request(`https://${HOST}/charges`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"amount":1}', dispatcher: viaDoor });
      await response.body.text();
      await settled(started.recorder);
      expect(started.recorder.requests.map((row) => row.invocationId ?? null)).toEqual([null, 7]);
      started.recorder.live.clear();
    } finally {
      await viaDoor.close();
      door.release();
    }
  });
});

describe('faults through the proxy are the faults without it', () => {
  it.each([
    ['reset-after-commit', {}],
    ['truncate-after-commit', {}],
    ['timeout-after-commit', { timeoutMs: 400 }],
  ] as const)('%s: the client sees the same failure as straight to the upstream, and the effect is committed', async (fault, options) => {
    const seen: Record<string, { status?: number; error?: string }> = {};
    for (const via of ['direct', 'proxy'] as const) {
      const started = upstream.begin([upstream.fault(fault)]);
      const answer = await charge(via, options);
      await settled(started.recorder);
      seen[via] = { status: answer.status, error: answer.error };
      expect(started.recorder.effects, `${via}: the upstream did the work`).toHaveLength(1);
    }
    expect(seen.proxy).toEqual(seen.direct);
    if (fault === 'reset-after-commit') expect(seen.proxy!.error).toBe('ECONNRESET');
    // Never an answer made up by a proxy.
    expect(seen.proxy!.status).not.toBe(502);
    expect(seen.proxy!.error, `no error reached the client through the proxy (${JSON.stringify(seen)})`).toBeDefined();
  });
});

describe('an undeclared host', () => {
  it('a CONNECT is refused with 403 and the host named, and logged; nothing reaches the upstream', async () => {
    const started = upstream.begin();
    refusals.drain();
    const answer = await charge('proxy', { url: 'https://api.elsewhere.test/charges' });
    expect(answer.error).toBeDefined();
    expect(refusals.drain()).toEqual([{ host: 'api.elsewhere.test', port: 443, method: 'CONNECT' }]);
    expect(started.recorder.requests).toHaveLength(0);
  });

  it('a plain absolute-form request is answered 403 with the host and the fix in its body', async () => {
    refusals.drain();
    const { port } = new URL(proxy.url);
    const text = await new Promise<string>((resolve, reject) => {
      import('node:net').then(({ default: net }) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('GET http://tracker.elsewhere.test/ping HTTP/1.1\r\nhost: tracker.elsewhere.test\r\nconnection: close\r\n\r\n'));
        let got = '';
        socket.on('data', (chunk) => (got += chunk));
        socket.on('end', () => resolve(got));
        socket.on('error', reject);
      }, reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 403/);
    expect(text).toContain('refused tracker.elsewhere.test');
    expect(text).toContain('host: tracker.elsewhere.test');
    expect(refusals.drain()).toEqual([{ host: 'tracker.elsewhere.test', port: 80, method: 'GET' }]);
  });

  it('a declared host over plain HTTP (HTTP_PROXY) reaches its upstream too', async () => {
    const started = upstream.begin();
    const plain = new ProxyAgent({ uri: proxy.url, proxyTunnel: false });
    try {
      const response = await request(`http://${HOST}/charges`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"amount":7}', dispatcher: plain });
      expect(response.statusCode).toBe(201);
      await response.body.text();
      await settled(started.recorder);
      expect(started.recorder.effects).toHaveLength(1);
    } finally {
      await plain.close();
    }
  });
});
