/**
 * Preloaded into Node targets of proxy mode (NODE_OPTIONS=--import=...): Node
 * 20 and 22 ignore HTTPS_PROXY, so a tool that hard-codes its host would go
 * straight out. This makes the two stacks most Node code rests on honour the
 * proxy variables the harness sets:
 * - global fetch (and undici's own request/fetch of the same major): undici's
 *   EnvHttpProxyAgent becomes the global dispatcher;
 * - node:http and node:https requests that use the global agents (the
 *   default: http.get, https.request, and clients built on them such as
 *   axios, got, the Stripe SDK): the global agents become proxy-aware ones
 *   that still go direct for NO_PROXY hosts (the harness's own loopback ones).
 * A client that brings its own connection code (its own net/tls sockets, an
 * agent it creates itself, a bundled undici of another major) is not covered:
 * see the README section "Testing a tool you cannot point elsewhere".
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { Agent as AgentBase, type AgentConnectOpts } from 'agent-base';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import { EnvHttpProxyAgent, setGlobalDispatcher } from 'undici';

setGlobalDispatcher(new EnvHttpProxyAgent());

/** Per request: through the proxy the environment names for its URL, or by the agent node had (NO_PROXY). */
class EnvProxyAgent extends AgentBase {
  private readonly proxied = new Map<string, http.Agent>();

  constructor(
    private readonly secure: boolean,
    private readonly direct: http.Agent,
  ) {
    super({ keepAlive: true });
  }

  override connect(_req: http.ClientRequest, options: AgentConnectOpts): http.Agent | Duplex {
    const host = options.host?.includes(':') ? `[${options.host}]` : options.host;
    const proxy = getProxyForUrl(`${this.secure ? 'https' : 'http'}://${host}:${options.port}`);
    if (!proxy) return this.direct;
    let agent = this.proxied.get(proxy);
    if (!agent) {
      agent = this.secure ? new HttpsProxyAgent(proxy, { keepAlive: true }) : new HttpProxyAgent(proxy, { keepAlive: true });
      this.proxied.set(proxy, agent);
    }
    return agent;
  }
}

http.globalAgent = new EnvProxyAgent(false, http.globalAgent);
https.globalAgent = new EnvProxyAgent(true, https.globalAgent);
