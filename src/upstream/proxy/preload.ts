/**
 * Preloaded into Node targets of proxy mode (NODE_OPTIONS=--import=...): Node
 * 20 and 22 ignore HTTPS_PROXY, so a tool that hard-codes its host would go
 * straight out. This makes the two stacks most Node code rests on honour the
 * proxy variables the harness sets:
 * - global fetch (and undici's own request/fetch of the same major): undici's
 *   EnvHttpProxyAgent is the global dispatcher;
 * - node:http and node:https requests that use the global agents (the
 *   default: http.get, https.request, and clients built on them such as
 *   axios and got), or an agent of node's own Agent class the client made
 *   itself (the Stripe SDK): they get proxy-aware agents that still go direct
 *   for NO_PROXY hosts (the harness's own loopback ones).
 * undici (the heavy one) is loaded on the first fetch on Node 20, not at
 * start: a target that never fetches does not pay for it.
 * A client that brings its own connection code (its own net/tls sockets, an
 * agent of a library, agent: false, a bundled undici of another major) is not covered:
 * see the README section "Testing a tool you cannot point elsewhere".
 */
import http from 'node:http';
import https from 'node:https';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import type { Dispatcher } from 'undici';

const require = createRequire(import.meta.url);

// Where undici (Node's fetch included) looks for the global dispatcher. A getter
// makes it on the first fetch; a target that sets its own keeps its own.
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
let dispatcher: Dispatcher | undefined;
let loadingUndici = false;
const lazy = Object.getOwnPropertyDescriptor(globalThis, GLOBAL_DISPATCHER)?.configurable !== false;
// Node 22 and 24 define the global dispatcher at start, for good (not configurable): set ours now there.
if (!lazy) installEnvProxyDispatcher();
if (lazy) Object.defineProperty(globalThis, GLOBAL_DISPATCHER, {
  configurable: true,
  enumerable: false,
  get: () => {
    // undici reads the global dispatcher while it loads (to install its default when there is none): none yet.
    if (dispatcher || loadingUndici) return dispatcher;
    loadingUndici = true;
    try {
      return installEnvProxyDispatcher();
    } finally {
      loadingUndici = false;
    }
  },
  set: (value: Dispatcher) => {
    dispatcher = value;
  },
});

/** undici's EnvHttpProxyAgent as the global dispatcher (setGlobalDispatcher defines a plain value: it replaces the getter). */
function installEnvProxyDispatcher(): Dispatcher {
  const undici = require('undici') as typeof import('undici');
  dispatcher = new undici.EnvHttpProxyAgent();
  undici.setGlobalDispatcher(dispatcher);
  return dispatcher;
}

type AddRequest = (req: http.ClientRequest, options: { host?: string; port?: number | string }) => void;

/**
 * A global agent that picks, per request, the proxy the environment names for
 * its URL, or the agent node had (NO_PROXY). The pick is made at once, in
 * addRequest (internal to node, but what every agent library overrides):
 * http-proxy-agent must rewrite the request line before node writes it, or a
 * request on a kept-alive proxy connection goes out in origin form.
 */
class EnvProxyAgent extends http.Agent {
  private readonly proxied = new Map<string, http.Agent>();

  constructor(
    private readonly secure: boolean,
    private readonly fallback: http.Agent,
  ) {
    super({ keepAlive: true });
    // What node checks a request's protocol and default port against.
    Object.assign(this, secure ? { protocol: 'https:', defaultPort: 443 } : { protocol: 'http:', defaultPort: 80 });
  }

  addRequest(req: http.ClientRequest, options: { host?: string; port?: number | string }): void {
    const host = options.host?.includes(':') ? `[${options.host}]` : options.host;
    const proxy = getProxyForUrl(`${this.secure ? 'https' : 'http'}://${host}:${options.port ?? (this.secure ? 443 : 80)}`);
    let agent = proxy ? this.proxied.get(proxy) : this.fallback;
    if (!agent) {
      agent = this.secure ? new HttpsProxyAgent(proxy, { keepAlive: true }) : new HttpProxyAgent(proxy, { keepAlive: true });
      this.proxied.set(proxy, agent);
    }
    (agent as unknown as { addRequest: AddRequest }).addRequest(req, options);
  }
}

const direct = { http: http.globalAgent, https: https.globalAgent };
const proxyAware = { http: new EnvProxyAgent(false, direct.http), https: new EnvProxyAgent(true, direct.https) };
http.globalAgent = proxyAware.http;
https.globalAgent = proxyAware.https as unknown as https.Agent;

/**
 * Many clients make their own keep-alive agent from node's Agent class (the
 * Stripe SDK: `new https.Agent({keepAlive: true})`) and pass it per request.
 * Such a request gets the proxy-aware agent instead (NO_PROXY hosts still go
 * direct). Only node's own Agent classes are swapped: an agent of a library
 * (a proxy agent, a custom pool) is the client's choice, and agent: false too.
 */
function swapPlainAgent(secure: boolean, args: unknown[]): unknown[] {
  const at = typeof args[0] === 'string' || args[0] instanceof URL ? 1 : 0;
  const options = args[at];
  if (!options || typeof options !== 'object') return args;
  const agent = (options as { agent?: unknown }).agent;
  if (!agent || (agent.constructor !== http.Agent && agent.constructor !== https.Agent)) return args;
  const copy = [...args];
  copy[at] = { ...options, agent: secure || (agent as { protocol?: string }).protocol === 'https:' ? proxyAware.https : proxyAware.http };
  return copy;
}

for (const [module, secure] of [[http, false], [https, true]] as const) {
  const { request, get } = module;
  module.request = ((...args: unknown[]) => (request as (...a: unknown[]) => http.ClientRequest)(...swapPlainAgent(secure, args))) as typeof module.request;
  module.get = ((...args: unknown[]) => (get as (...a: unknown[]) => http.ClientRequest)(...swapPlainAgent(secure, args))) as typeof module.get;
}
// `import { request } from 'node:https'` reads the patched functions too.
syncBuiltinESMExports();
