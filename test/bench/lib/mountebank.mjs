// The peer: mountebank (npm package), one imposter answering every POST
// /charges with the same 201 JSON as the other variants. mountebank runs in
// its own process, bound to 127.0.0.1 and accepting local connections only.
// Two configurations: as `mb start` runs by default (log level info: one log
// line per request, to the console and to a log file, here in a temporary
// folder), and quiet (--loglevel warn --nologfile: the peer at its fastest).
import { createRequire } from 'node:module';
import path from 'node:path';
import { freePort, jsonLines, spawnTracked, stopChild } from './procs.mjs';

const require = createRequire(import.meta.url);

export async function startMountebank(responseBody, { quiet = false, logDir } = {}) {
  const mb = path.join(path.dirname(require.resolve('mountebank/package.json')), 'bin', 'mb');
  const adminPort = await freePort();
  const imposterPort = await freePort();
  const logging = quiet ? ['--nologfile', '--loglevel', 'warn'] : ['--logfile', path.join(logDir, `mb-${adminPort}.log`)];
  const child = spawnTracked(process.execPath, [mb, 'start', '--port', String(adminPort), '--host', '127.0.0.1', '--localOnly', ...logging], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdout.resume();
  const admin = `http://127.0.0.1:${adminPort}`;
  const deadline = performance.now() + 20_000;
  for (;;) {
    try {
      const response = await fetch(`${admin}/config`);
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (performance.now() > deadline || child.exitCode !== null) {
      await stopChild(child);
      throw new Error(`mountebank did not start: ${stderr.trim().slice(-500)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const imposter = {
    protocol: 'http',
    port: imposterPort,
    host: '127.0.0.1',
    recordRequests: false,
    stubs: [
      {
        predicates: [{ equals: { method: 'POST', path: '/charges' } }],
        // Keep-alive as in the other variants (mountebank's default answer says Connection: close),
        // and the body as compact JSON text (mountebank pretty-prints an object).
        responses: [{ is: { statusCode: 201, headers: { 'content-type': 'application/json', connection: 'keep-alive' }, body: JSON.stringify(responseBody) } }],
      },
    ],
  };
  const created = await fetch(`${admin}/imposters`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(imposter) });
  if (created.status !== 201) {
    await stopChild(child);
    throw new Error(`mountebank refused the imposter: ${created.status} ${await created.text()}`);
  }
  return {
    url: `http://127.0.0.1:${imposterPort}`,
    pid: child.pid,
    close: () => stopChild(child),
  };
}
