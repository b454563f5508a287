import type { Scenario } from '../scenario/load.js';
import { declaredHosts } from '../scenario/load.js';
import { startForwardProxy, type ForwardProxy, type HostHandler } from '../upstream/proxy/forward-proxy.js';
import { RefusalLog } from '../upstream/proxy/refusals.js';
import type { ProxyAuthority } from './proxy-authority.js';
import { startLoopbackServer, type LoopbackServer } from '../upstream/loopback-server.js';
import type { UpstreamTraits } from '../upstream/model.js';
import { loadModel } from '../upstream/models/index.js';
import { UpstreamPipeline } from '../upstream/pipeline.js';
import { StrayLog } from './strays.js';
import { stateTraits } from '../state/index.js';

/**
 * How many cases of an http API may be settling while the next one runs. A
 * case's window lasts the quiet time (100 ms) after its last request, and an
 * http case's invocations take ~30 ms: with three open, the next case seldom
 * waits for a window to close.
 */
const SETTLING_CASES = 3;

/** A scenario's upstreams, each served on its own 127.0.0.1 port (or in-process by msw, for module targets) for the whole run. */
export interface RunningUpstreams {
  pipelines: UpstreamPipeline[];
  urls: ReadonlyMap<string, string>;
  traits: ReadonlyMap<string, UpstreamTraits>;
  /** Loopback upstreams: every upstream's URL on a port of this invocation's own (see LoopbackServer.door). */
  doors?: InvocationDoors;
  /** Requests that come while none of this lane's cases is running: recorded here, counted in no case. */
  strays?: StrayLog;
  /** Proxy mode (an upstream declares a host): the forward proxy the target is sent through. */
  proxy?: TargetProxy;
  close(): Promise<void>;
}

export interface TargetProxy {
  /** http://127.0.0.1:PORT of the forward proxy. */
  url: string;
  /** The run's CA certificate, for the target to trust. */
  caFile: string;
  /** Hosts the proxy refused (no upstream declares them), for the case's notes. */
  refusals: RefusalLog;
}

export type InvocationDoors = (invocationId: number) => Promise<{ urls: ReadonlyMap<string, string>; proxyUrl?: string; release(): void }>;

export async function startUpstreams(scenario: Scenario, lane = 1, authority?: ProxyAuthority): Promise<RunningUpstreams> {
  const upstreams = scenario.target.kind === 'module' && scenario.target.interception === 'msw' ? await startInProcessUpstreams(scenario) : await startLoopbackUpstreams(scenario, authority);
  const strays = new StrayLog(`lane-${lane}`, upstreams.traits);
  for (const pipeline of upstreams.pipelines) pipeline.serveStrays(() => strays.current());
  // The target's own state (state probes) is judged like an upstream of one route per probe: "db orders".
  const state = scenario.state ?? [];
  const traits = state.length > 0 ? new Map([...upstreams.traits, ...stateTraits(state)]) : upstreams.traits;
  return { ...upstreams, traits, strays };
}

async function startLoopbackUpstreams(scenario: Scenario, authority: ProxyAuthority | undefined): Promise<RunningUpstreams> {
  const pipelines: UpstreamPipeline[] = [];
  const servers: LoopbackServer[] = [];
  const urls = new Map<string, string>();
  const traits = new Map<string, UpstreamTraits>();
  const hosts = new Map<string, HostHandler>();
  let forwardProxy: ForwardProxy | undefined;
  const refusals = new RefusalLog();
  try {
    for (const [name, spec] of Object.entries(scenario.upstreams)) {
      const model = await loadModel(spec, { upstream: name, scenario });
      // An http API's cases can settle while the next runs (runner/overlap.ts), each with its own upstream state:
      // a built-in model is built once more per settling case. A custom model's state lives in the user's module, which exists once.
      const spares = [];
      if (scenario.target.kind === 'http' && spec.model !== 'custom') for (let i = 0; i < SETTLING_CASES; i += 1) spares.push(await loadModel(spec, { upstream: name, scenario }));
      const pipeline = new UpstreamPipeline(name, model, spares);
      const server = await startLoopbackServer(pipeline, { holdLimitMs: scenario.holdLimitMs });
      pipelines.push(pipeline);
      servers.push(server);
      urls.set(name, server.url);
      traits.set(name, model.traits);
      for (const host of declaredHosts(spec)) hosts.set(host, server.handle);
    }
    if (hosts.size > 0) {
      if (!authority) throw new Error('an upstream declares a host but the run made no proxy CA');
      forwardProxy = await startForwardProxy({ hosts, certificates: authority.certificates, refusals });
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.close()));
    throw error;
  }
  const doors: InvocationDoors = async (invocationId) => {
    const names = [...urls.keys()]; // in the order of `servers`
    const opened = await Promise.all(servers.map((server) => server.door(invocationId)));
    const proxyDoor = await forwardProxy?.door(invocationId);
    return {
      urls: new Map(opened.map((door, i) => [names[i]!, door.url])),
      proxyUrl: proxyDoor?.url,
      release: () => {
        opened.forEach((door) => door.release());
        proxyDoor?.release();
      },
    };
  };
  return {
    pipelines,
    urls,
    traits,
    doors,
    proxy: forwardProxy && authority ? { url: forwardProxy.url, caFile: authority.caFile, refusals } : undefined,
    close: async () => {
      // The proxy first: its tunnels are the clients' connections to the upstreams.
      await forwardProxy?.close();
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}

/**
 * Module targets with `interception: msw`: the same pipelines, served in-process
 * by msw (no socket), at http://NAME.upstream.retryproof.test. msw listens only
 * while the run holds these upstreams: `close` stops it.
 */
async function startInProcessUpstreams(scenario: Scenario): Promise<RunningUpstreams> {
  const pipelines: UpstreamPipeline[] = [];
  const traits = new Map<string, UpstreamTraits>();
  for (const [name, spec] of Object.entries(scenario.upstreams)) {
    const model = await loadModel(spec, { upstream: name, scenario });
    pipelines.push(new UpstreamPipeline(name, model));
    traits.set(name, model.traits);
  }
  // Loaded only here: msw/node's interceptors have no business in command and http runs.
  const { startInProcessBinding } = await import('../upstream/in-process.js');
  const binding = await startInProcessBinding(pipelines, { holdLimitMs: scenario.holdLimitMs });
  return { pipelines, urls: binding.urls, traits, close: () => binding.close() };
}
