/**
 * The lifecycle of an API the harness starts: templates and PORT, the
 * readiness probe, an early exit or a never-ready API (RetryproofError naming
 * target.start and quoting its stderr), crash (SIGKILL of the group) and
 * shutdown (SIGTERM, then SIGKILL after the grace). After each, what is left
 * is checked in the process table and by connecting to the port, not in the
 * harness's own books.
 */
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RetryproofError } from '../../src/errors.js';
import { freePort, startHttpServer, type HttpStartSpec, type RunningServer } from '../../src/targets/http-server.js';
import { liveGroupCount } from '../../src/targets/process-group.js';
import { killPids, liveInGroup, liveWithEnv, waitFor } from './proc-table.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-http-server-test-'));
const TOKEN_VAR = 'RETRYPROOF_TEST_TOKEN';
const tokens: string[] = [];
const started: RunningServer[] = [];

afterEach(async () => {
  for (const server of started.splice(0)) await server.stop();
  for (const token of tokens.splice(0)) killPids(liveWithEnv(TOKEN_VAR, token).map((proc) => proc.pid));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A configurable fixture API. MODE: ok (listens after DELAY_MS), exit (writes
 * to stderr, exits 3), sick (always 500), deaf (listens on another port),
 * stubborn (ignores SIGTERM). With CHILD=1 it first forks a sleeping child
 * into its own process group.
 */
const FIXTURE = path.join(dir, 'fixture-api.mjs');
writeFileSync(
  FIXTURE,
  `
import http from 'node:http';
import { spawn } from 'node:child_process';
const mode = process.env.MODE ?? 'ok';
if (process.env.CHILD === '1') {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  console.log('child ' + child.pid);
}
if (mode === 'noisy-exit') {
  // Written in one go and flushed before exiting (process.exit right after many writes may drop some).
  const lines = Array.from({ length: 2000 }, (_, i) => 'log line ' + i).join('\\n');
  process.stderr.write(lines + '\\nfatal: last words\\n', () => process.exit(4));
  await new Promise(() => {});
}
if (mode === 'exit') {
  console.error('starting up');
  console.error('fatal: DATABASE_URL is not set');
  process.exit(3);
}
if (mode === 'stubborn') process.on('SIGTERM', () => console.error('ignoring SIGTERM'));
const port = mode === 'deaf' ? 0 : Number(process.env.PORT);
const server = http.createServer((req, res) => {
  if (mode === 'sick') { res.writeHead(500).end('not yet'); return; }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ path: req.url, argv: process.argv.slice(2), port: process.env.PORT, upstream: process.env.UPSTREAM, extra: process.env.EXTRA }));
});
setTimeout(() => server.listen(port, '127.0.0.1'), Number(process.env.DELAY_MS ?? 0));
`,
);

function spec(env: Record<string, string>, ready: Partial<HttpStartSpec['ready']> = {}, argv: string[] = []): { start: HttpStartSpec; token: string } {
  const token = randomUUID();
  tokens.push(token);
  return {
    start: { argv: [process.execPath, FIXTURE, ...argv], env: { [TOKEN_VAR]: token, ...env }, ready: { path: '/health', timeoutMs: 5000, ...ready } },
    token,
  };
}

const options = (extra: Partial<Parameters<typeof startHttpServer>[1]> = {}) => ({
  cwd: dir,
  urls: new Map([['payments', 'http://127.0.0.1:4242']]),
  baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  file: 'api.yaml',
  ...extra,
});

async function start(env: Record<string, string>, ready: Partial<HttpStartSpec['ready']> = {}, argv: string[] = [], extra = {}) {
  const { start: startSpec, token } = spec(env, ready, argv);
  const server = await startHttpServer(startSpec, options(extra));
  started.push(server);
  return { server, token };
}

async function startFailure(env: Record<string, string>, ready: Partial<HttpStartSpec['ready']> = {}, argv: string[] = []): Promise<{ error: RetryproofError; token: string }> {
  const { start: startSpec, token } = spec(env, ready, argv);
  let caught: unknown;
  try {
    started.push(await startHttpServer(startSpec, options()));
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(RetryproofError);
  return { error: caught as RetryproofError, token };
}

/** Whether anything accepts connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function get(server: RunningServer, path = '/'): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.baseUrl}${path}`);
  return (await response.json()) as Record<string, unknown>;
}

describe('freePort', () => {
  it('gives a port nothing listens on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await accepts(port)).toBe(false);
  });
});

/** An HTTP server of this test process (so running before any API it starts) that answers every request as "foreign". */
async function foreignServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"who":"foreign"}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('a port another program took between the pick and the API\'s bind', () => {
  it('is not taken for the API: the API, which lost it, is started again on a fresh port', async () => {
    const foreign = await foreignServer();
    const picks: number[] = [];
    const choosePort = async () => {
      const port = picks.length === 0 ? foreign.port : await freePort();
      picks.push(port);
      return port;
    };
    try {
      // The API binds 300 ms after it starts, so the other program answers the first readiness probes.
      const { server } = await start({ MODE: 'ok', DELAY_MS: '300' }, {}, [], { choosePort });
      expect(picks).toHaveLength(2);
      expect(server.port).toBe(picks[1]);
      expect(server.port).not.toBe(foreign.port);
      expect(await get(server, '/whoami')).toMatchObject({ path: '/whoami', port: String(server.port) });
    } finally {
      await foreign.close();
    }
  });

  it('fails with the reason when every pick is taken', async () => {
    const foreign = await foreignServer();
    let picks = 0;
    const choosePort = async () => {
      picks += 1;
      return foreign.port;
    };
    try {
      const { start: startSpec } = spec({ MODE: 'ok', DELAY_MS: '100' });
      const error = await startHttpServer(startSpec, options({ choosePort })).then(
        (server) => {
          started.push(server);
          return undefined;
        },
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(RetryproofError);
      expect((error as RetryproofError).message).toContain(`another program holds port ${foreign.port}`);
      expect((error as RetryproofError).message).toMatch(/exited with code 1 before it was ready/);
      expect(picks).toBe(3);
    } finally {
      await foreign.close();
    }
  });

  it('is believed once the API has lived beside it for the grace, when it started after the API (a container runtime\'s port proxy)', async () => {
    const port = await freePort();
    // The API listens elsewhere (port 0); a process started after it serves its port, as docker-proxy would.
    let proxy: ReturnType<typeof spawn> | undefined;
    const choosePort = async () => {
      setTimeout(() => {
        proxy = spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => s.end('{"who":"proxy"}')).listen(${port}, '127.0.0.1')`], { stdio: 'ignore' });
      }, 300);
      return port;
    };
    try {
      const began = performance.now();
      const { server } = await start({ MODE: 'deaf' }, { timeoutMs: 30_000 }, [], { choosePort });
      expect(server.port).toBe(port);
      expect(performance.now() - began).toBeGreaterThanOrEqual(3000);
      expect(await get(server)).toEqual({ who: 'proxy' });
    } finally {
      proxy?.kill('SIGKILL');
    }
  });
});

describe('startHttpServer', () => {
  it('renders {{port}} and upstream URLs, sets PORT, and returns once GET ready.path answers', async () => {
    const { server } = await start({ UPSTREAM: '{{upstreams.payments.url}}/v1', EXTRA: 'port={{port}}', DELAY_MS: '300' }, {}, ['--port', '{{port}}']);
    expect(server.running()).toBe(true);
    expect(server.baseUrl).toBe(`http://127.0.0.1:${server.port}`);
    expect(await get(server, '/x')).toEqual({
      path: '/x',
      argv: ['--port', String(server.port)],
      port: String(server.port),
      upstream: 'http://127.0.0.1:4242/v1',
      extra: `port=${server.port}`,
    });
  });

  it('stops the whole process group (SIGTERM), leaving no process and a closed port', async () => {
    const { server, token } = await start({ CHILD: '1' });
    await waitFor(() => (liveWithEnv(TOKEN_VAR, token).length === 2 ? true : undefined), 3000, 'the API and its child');
    const groups = liveGroupCount();
    await server.stop();
    expect(liveInGroup(server.pid)).toEqual([]);
    expect(liveWithEnv(TOKEN_VAR, token)).toEqual([]);
    expect(await accepts(server.port)).toBe(false);
    expect(liveGroupCount()).toBe(groups - 1);
    await server.stop(); // twice is fine
  });

  it('SIGKILLs an API that ignores SIGTERM after the grace period', async () => {
    const { server, token } = await start({ MODE: 'stubborn' }, {}, [], { killGraceMs: 200 });
    const before = performance.now();
    await server.stop();
    expect(performance.now() - before).toBeGreaterThanOrEqual(150);
    expect(await server.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(liveWithEnv(TOKEN_VAR, token)).toEqual([]);
    expect(await accepts(server.port)).toBe(false);
  });

  it('kill() (a crash fault) SIGKILLs the group at once', async () => {
    const { server, token } = await start({ CHILD: '1' });
    server.kill();
    expect(server.crashed()).toBe(true);
    expect(await server.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(server.running()).toBe(false);
    await server.stop();
    expect(liveWithEnv(TOKEN_VAR, token)).toEqual([]);
    expect(await accepts(server.port)).toBe(false);
  });

  it('an API that exits before it is ready: RetryproofError on target.start with the end of its stderr, nothing left', async () => {
    const { error, token } = await startFailure({ MODE: 'exit', CHILD: '1' });
    expect(error.code).toBe('TARGET_SPAWN_FAILED');
    expect(error.where).toEqual({ file: 'api.yaml', field: 'target.start' });
    expect(error.message).toMatch(/exited with code 3 before it was ready/);
    expect(error.message).toContain('fatal: DATABASE_URL is not set');
    expect(error.message).toContain('starting up');
    expect(liveWithEnv(TOKEN_VAR, token)).toEqual([]);
  });

  it('quotes the last lines of an API that wrote more than the kept head', async () => {
    const { start: startSpec, token } = spec({ MODE: 'noisy-exit' });
    const error = await startHttpServer(startSpec, options({ maxOutputBytes: 1000 })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryproofError);
    expect((error as Error).message).toMatch(/exited with code 4 before it was ready/);
    expect((error as Error).message).toContain('log line 1999\n    fatal: last words');
    expect((error as Error).message).not.toContain('log line 0\n');
    expect(liveWithEnv(TOKEN_VAR, token)).toEqual([]);
  });

  it('an API that never answers below 500 in time: RetryproofError saying what the probe last saw, nothing left', async () => {
    const before = performance.now();
    const { error, token } = await startFailure({ MODE: 'sick', CHILD: '1' }, { timeoutMs: 1500 });
    expect(performance.now() - before).toBeLessThan(4000);
    expect(error.code).toBe('TARGET_SPAWN_FAILED');
    expect(error.where.field).toBe('target.start');
    expect(error.message).toMatch(/not ready after 1500 ms: GET \/health never answered below 500 \(last: it answered 500\)/);
    expect(liveWithEnv(TOKEN_VAR, token)).toEqual([]);
  });

  it('an API that listens elsewhere: not ready (connection refused), nothing left', async () => {
    const { error, token } = await startFailure({ MODE: 'deaf' }, { timeoutMs: 500 });
    expect(error.message).toMatch(/last: connection refused/);
    expect(liveWithEnv(TOKEN_VAR, token)).toEqual([]);
  });

  it('a program that does not exist, or a template with no value at start: RetryproofError naming the field', async () => {
    const missing = await startHttpServer({ argv: ['./no-such-api'], env: {}, ready: { path: '/', timeoutMs: 1000 } }, options()).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(RetryproofError);
    expect(missing).toMatchObject({ code: 'TARGET_SPAWN_FAILED', where: { field: 'target.start.argv[0]' } });
    expect((missing as Error).message).toMatch(/ENOENT/);

    const keyed = await startHttpServer({ argv: [process.execPath, FIXTURE], env: { KEY: '{{key}}' }, ready: { path: '/', timeoutMs: 1000 } }, options()).catch((error: unknown) => error);
    expect(keyed).toMatchObject({ code: 'TEMPLATE_UNKNOWN', where: { field: 'target.start.env.KEY' } });
  });
});
