/**
 * The proxy-mode preload (src/upstream/proxy/preload.ts) in a real Node
 * process: global fetch, http.get (also imported by name) and an agent of
 * node's own Agent class go through HTTP_PROXY; loopback (NO_PROXY) goes
 * direct. Without the preload, the same process reaches no proxy at all.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyEnvironment, withProxyPreload } from '../../../src/runner/proxy-env.js';
import { fixture } from '../../helpers/scenario.js';

const seenByProxy: string[] = [];
const seenDirect: string[] = [];
let proxy: http.Server;
let direct: http.Server;

const listen = async (server: http.Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  // A stand-in proxy: answers absolute-form requests itself, refuses tunnels; records both.
  proxy = http.createServer((req, res) => {
    seenByProxy.push(`${req.method} ${req.url}`);
    res.end('via proxy');
  });
  proxy.on('connect', (req, socket) => {
    seenByProxy.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  direct = http.createServer((req, res) => {
    seenDirect.push(req.url ?? '');
    res.end('direct');
  });
});

afterAll(async () => {
  await Promise.all([proxy, direct].map((server) => new Promise((resolve) => server.close(resolve))));
});

function probe(env: Record<string, string>): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [fixture('proxy', 'preload-probe.mjs')], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, string>);
    });
  });
}

describe('the proxy-mode preload', () => {
  it('sends fetch, http.get, a named get and a plain own agent through the proxy, loopback direct', async () => {
    const proxyUrl = await listen(proxy);
    const directUrl = await listen(direct);
    const env = { ...proxyEnvironment(proxyUrl, '/nonexistent-ca.pem'), DIRECT_URL: directUrl };
    delete (env as Record<string, string | undefined>).NODE_EXTRA_CA_CERTS;
    const results = await probe({ ...env, NODE_OPTIONS: withProxyPreload(undefined) });
    expect(results).toEqual({
      fetchLoopback: '200 direct',
      httpLoopback: '200 direct',
      // undici tunnels http:// too: the stand-in refuses tunnels.
      fetchHost: expect.stringMatching(/^error /),
      httpHost: '200 via proxy',
      namedGetHost: '200 via proxy',
      ownAgentHost: '200 via proxy',
    });
    expect(seenByProxy).toEqual([
      'CONNECT api.example-bank.test:80',
      'GET http://api.example-bank.test/http-host',
      'GET http://api.example-bank.test/named-get-host',
      'GET http://api.example-bank.test/own-agent-host',
    ]);
    expect(seenDirect).toEqual(['/fetch-loopback', '/http-loopback']);
  });

  it('without it, Node 20 and 22 ignore the proxy variables (what the preload is for)', async () => {
    seenByProxy.length = 0;
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const directUrl = `http://127.0.0.1:${(direct.address() as AddressInfo).port}`;
    const env = { ...proxyEnvironment(proxyUrl, '/nonexistent-ca.pem'), DIRECT_URL: directUrl, NODE_USE_ENV_PROXY: '' };
    delete (env as Record<string, string | undefined>).NODE_EXTRA_CA_CERTS;
    const results = await probe(env);
    expect(results.fetchLoopback).toBe('200 direct');
    if (Number(process.versions.node.split('.')[0]) < 24) {
      expect(seenByProxy).toEqual([]);
      expect(results.httpHost).toMatch(/^error (ENOTFOUND|EAI_AGAIN)/);
    }
  });
});
