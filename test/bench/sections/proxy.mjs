// Figure 7: proxy mode (a target that hard-codes https://api.vendor.test).
// 7a: the latency a request gains going through the forward proxy, its TLS
// ended there with the run's CA, next to the same request straight to the
// loopback server, each on a kept-alive connection (one undici client per
// side, requests one at a time). Rounds alternate which side goes first; the
// figure is the median of the rounds' differences of medians. Goal <= 1 ms.
// 7b: what a new connection costs through the proxy (CONNECT, TLS handshake,
// the request), less a request on a kept-alive tunnel: the TLS handshake a
// target pays per connection it opens. 7c: making the run's CA and leaf
// certificate (once per run).
import { Agent, ProxyAgent, request } from 'undici';
import { median } from '../lib/stats.mjs';

const HOST = 'api.bench-bank.test';
const dist = new URL('../../../dist/', import.meta.url);
const load = (file) => import(new URL(file, dist).href);

export async function run(ctx) {
  const { dist: harness } = ctx;
  const [{ makeProxyCertificates }, { startForwardProxy }, { RefusalLog }] = await Promise.all([
    load('upstream/proxy/certificates.js'),
    load('upstream/proxy/forward-proxy.js'),
    load('upstream/proxy/refusals.js'),
  ]);
  let t = performance.now();
  const certificates = await makeProxyCertificates([HOST]);
  const caMs = performance.now() - t;

  const model = harness.resourceModel({ path: '/charges', honoursIdempotencyKey: true, clientRefField: 'orderRef', noun: 'charge', ignoreFields: [] });
  const pipeline = new harness.UpstreamPipeline('bank', model);
  const server = await harness.startLoopbackServer(pipeline, { holdLimitMs: 5_000 });
  const proxy = await startForwardProxy({ hosts: new Map([[HOST, server.handle]]), certificates, refusals: new RefusalLog() });
  const direct = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const tunnelled = new ProxyAgent({ uri: proxy.url, requestTls: { ca: certificates.caPem }, connections: 1, keepAliveTimeout: 30_000 });
  const begin = (id) => pipeline.beginCase({ faults: [], recorder: new harness.CaseRecorder(id, 'op'), crashTarget: () => undefined });

  let n = 0;
  const charge = async (url, dispatcher) => {
    n += 1;
    const started = performance.now();
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${n}` },
      body: JSON.stringify({ amount: 100, orderRef: `o-${n}` }),
      dispatcher,
    });
    await response.body.text();
    if (response.statusCode !== 201) throw new Error(`status ${response.statusCode}`);
    return performance.now() - started;
  };
  const viaDirect = () => charge(`${server.url}/charges`, direct);
  const viaProxy = () => charge(`https://${HOST}/charges`, tunnelled);

  const rounds = ctx.quick ? 4 : 8;
  const perRound = 100;
  const added = [];
  const directMs = [];
  const proxyMs = [];
  const handshakeMs = [];
  try {
    // Warm both connections (and the JIT) first.
    begin('warm');
    for (let i = 0; i < 50; i += 1) {
      await viaDirect();
      await viaProxy();
    }
    pipeline.endCase();
    for (let round = 0; round < rounds && ctx.sectionLeft() > 3_000; round += 1) {
      begin(`round-${round}`);
      const sides = round % 2 === 0 ? [viaDirect, viaProxy] : [viaProxy, viaDirect];
      const times = new Map(sides.map((side) => [side, []]));
      for (let i = 0; i < perRound; i += 1) for (const side of sides) times.get(side).push(await side());
      const d = median(times.get(viaDirect));
      const p = median(times.get(viaProxy));
      directMs.push(d);
      proxyMs.push(p);
      added.push(p - d);
      // New connections: a fresh client per request (CONNECT + TLS handshake + the request), next to the kept-alive tunnel.
      const fresh = [];
      const kept = [];
      for (let i = 0; i < 10; i += 1) {
        const once = new ProxyAgent({ uri: proxy.url, requestTls: { ca: certificates.caPem } });
        try {
          fresh.push(await charge(`https://${HOST}/charges`, once));
        } finally {
          await once.close();
        }
        kept.push(await viaProxy());
      }
      handshakeMs.push(median(fresh) - median(kept));
      pipeline.endCase();
    }
  } finally {
    await direct.close();
    await tunnelled.close();
    await proxy.close();
    await server.close();
  }
  ctx.progress(`proxy: ${added.length} rounds of ${perRound} requests per side`);
  const addedMs = median(added);
  return [
    {
      figure: '7a. proxy mode: added latency per request through the proxy (TLS ended with the run CA) vs direct loopback, kept-alive connection',
      value: `${(addedMs * 1000).toFixed(0)} µs`,
      ratioText: `${(median(proxyMs) / median(directMs)).toFixed(2)}x (direct ${(median(directMs) * 1000).toFixed(0)} µs, proxy ${(median(proxyMs) * 1000).toFixed(0)} µs; median of ${added.length} rounds)`,
      target: '<= 1 ms',
      met: addedMs <= 1,
    },
    {
      figure: '7b. proxy mode: cost of a new connection (CONNECT + TLS handshake) over a kept-alive request',
      value: `${median(handshakeMs).toFixed(2)} ms`,
      ratioText: '–',
      target: 'reported',
      met: null,
    },
    {
      figure: '7c. proxy mode: making the run CA and leaf certificate (once per run)',
      value: `${caMs.toFixed(0)} ms`,
      ratioText: '–',
      target: 'reported',
      met: null,
    },
  ];
}
