import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The environment that sends a target's traffic through the harness's forward
 * proxy and makes it trust the run's CA, the ways common stacks read them:
 * curl, Python (requests, httpx, urllib), Go, Ruby and OpenSSL-based tools
 * read the *_PROXY variables and SSL_CERT_FILE / REQUESTS_CA_BUNDLE /
 * CURL_CA_BUNDLE; Node reads NODE_EXTRA_CA_CERTS, and the preload (see
 * src/upstream/proxy/preload.ts) makes its fetch and http(s) honour the proxy.
 * NO_PROXY keeps loopback direct: {{upstreams.NAME.url}} still works beside.
 */
export function proxyEnvironment(proxyUrl: string, caFile: string): Record<string, string> {
  const noProxy = '127.0.0.1,localhost,::1';
  return {
    HTTPS_PROXY: proxyUrl,
    https_proxy: proxyUrl,
    HTTP_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    // A target's own ALL_PROXY (a SOCKS proxy of the developer's) would take it elsewhere.
    ALL_PROXY: proxyUrl,
    all_proxy: proxyUrl,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
    NODE_EXTRA_CA_CERTS: caFile,
    SSL_CERT_FILE: caFile,
    REQUESTS_CA_BUNDLE: caFile,
    CURL_CA_BUNDLE: caFile,
    // Node 24: its own fetch and http honour the variables too (the preload covers 20 and 22).
    NODE_USE_ENV_PROXY: '1',
  };
}

/** NODE_OPTIONS with the proxy preload first, then whatever the target's own NODE_OPTIONS says. */
export function withProxyPreload(nodeOptions: string | undefined): string {
  return [`--import=${preloadUrl()}`, nodeOptions ?? ''].join(' ').trim();
}

let cached: string | undefined;

/** The built preload: next to this file in dist/, or dist/'s copy when the harness runs from its sources (tests). */
function preloadUrl(): string {
  if (cached) return cached;
  for (const candidate of ['../upstream/proxy/preload.js', '../../dist/upstream/proxy/preload.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return (cached = url.href);
  }
  throw new Error('the proxy preload (dist/upstream/proxy/preload.js) is missing: run npm run build');
}
