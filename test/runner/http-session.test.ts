/**
 * The http session: invocation rows of an http target, a crash fault that
 * kills the started API (which is started again), per-case restarts, an API
 * already running at a base URL, concurrent and abandoned requests; and the
 * two bundled example APIs end to end: the SAFE one passes every check, the
 * RACY one is caught by the concurrency probe every time.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CRASH_FAULTS, RESTART_FAULTS } from '../../src/faults/registry.js';
import { systematicCases } from '../../src/explore/systematic.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { BASE_URL_CRASH_REASON, BASE_URL_RESTART_REASON, startHttpSession } from '../../src/runner/http-session.js';
import { CaseRecorder } from '../../src/runner/recorder.js';
import { executeCase } from '../../src/runner/run-case.js';
import { runScenario } from '../../src/runner/run-scenario.js';
import { openRunSession } from '../../src/runner/run-session.js';
import { startTargetSession, type CaseInvokeContext } from '../../src/runner/target-session.js';
import { startUpstreams, type RunningUpstreams } from '../../src/runner/upstreams.js';
import { loadScenario, parseScenario, type Scenario } from '../../src/scenario/load.js';
import type { RunningInvocation } from '../../src/targets/target.js';
import { killPids, liveDescendants, liveWithEnv, listeningSocketsOf } from '../targets/proc-table.js';
import { charges, settled, UpstreamHarness } from '../helpers/upstream.js';

const repo = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-http-session-'));
const reportsDir = path.join(dir, 'reports');
const TOKEN_VAR = 'RETRYPROOF_TEST_TOKEN';
const tokens: string[] = [];

afterEach(() => {
  for (const token of tokens.splice(0)) killPids(liveWithEnv(TOKEN_VAR, token).map((proc) => proc.pid));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A bundled example scenario, its API processes marked with a fresh token so the test can find them in /proc. */
function example(name: 'http-api-safe' | 'http-api-racy'): { scenario: Scenario; token: string } {
  const scenario = loadScenario(path.join(repo, 'scenarios', `${name}.yaml`));
  const token = randomUUID();
  tokens.push(token);
  if (scenario.target.kind !== 'http' || !scenario.target.start) throw new Error(`${name} is not a started http target`);
  scenario.target.start.env[TOKEN_VAR] = token;
  return { scenario, token };
}

/** Processes and listening sockets of the test process before, to compare with after. */
function snapshot() {
  const children = new Set(liveDescendants(process.pid).map((proc) => proc.pid));
  const sockets = new Set(listeningSocketsOf().map((socket) => socket.inode));
  return {
    expectNothingLeft(token: string) {
      expect(liveWithEnv(TOKEN_VAR, token), 'API processes still alive').toEqual([]);
      expect(liveDescendants(process.pid).filter((proc) => !children.has(proc.pid)), 'new children of the test process').toEqual([]);
      expect(listeningSocketsOf().filter((socket) => !sockets.has(socket.inode)), 'sockets still listening').toEqual([]);
    },
  };
}

describe('the bundled example APIs, end to end', () => {
  it('SAFE: every check holds, including under crash faults (the API is killed and started again)', { timeout: 60_000 }, async () => {
    const { scenario, token } = example('http-api-safe');
    const before = snapshot();
    const result = await runScenario(scenario, { reportsDir });
    expect(result.failedChecks).toEqual([]);
    expect(result.verdict).toBe('pass');
    expect(result.asExpected).toBe(true);
    expect(result.skippedFaults).toEqual([]);
    const byId = new Map(result.cases.map((item) => [item.id, item]));
    for (const id of ['none', 'crash-after-commit@payments#1', 'crash-before-commit@payments#1', 'timeout-after-commit@payments#1', 'probe:concurrent', 'probe:key-mismatch', 'probe:dry-run', 'probe:missing-key']) {
      expect(byId.get(`create-order/${id}`), id).toMatchObject({ verdict: 'pass' });
    }
    expect(byId.get('create-order/crash-after-commit@payments#1')!.effects).toBe(1);
    expect(byId.get('create-order/probe:concurrent')!.effects).toBe(1);
    expect(byId.get('create-order/probe:dry-run')!.effects).toBe(0);
    const concurrent = byId.get('create-order/probe:concurrent')!.checks.find((check) => check.check === 'concurrent-same-key')!;
    expect(concurrent.status).toBe('pass');
    before.expectNothingLeft(token);
  });

  it('RACY: fails exactly what the scenario expects, the concurrency probe committing two charges', { timeout: 60_000 }, async () => {
    const { scenario, token } = example('http-api-racy');
    const before = snapshot();
    const result = await runScenario(scenario, { reportsDir });
    expect(result.expectedFail).toEqual(['no-duplicate-effects', 'concurrent-same-key']);
    // concurrent-same-key, named before the split, also covers its effects half.
    expect(result.failedChecks).toEqual(['no-duplicate-effects', 'concurrent-commits-once', 'concurrent-same-key']);
    expect(result.asExpected).toBe(true);
    const byId = new Map(result.cases.map((item) => [item.id, item]));
    // Sequentially, with no fault, its own key store does its job…
    expect(byId.get('create-order/none')).toMatchObject({ verdict: 'pass', effects: 1 });
    expect(byId.get('create-order/probe:key-mismatch')).toMatchObject({ verdict: 'pass' });
    // …but two requests at once both charge.
    const probe = byId.get('create-order/probe:concurrent')!;
    expect(probe.effects).toBe(2);
    expect(probe.checks.find((check) => check.check === 'no-duplicate-effects')!.status).toBe('fail');
    before.expectNothingLeft(token);
  });

  // 20 and 10 runs in the slow tier (RETRYPROOF_SLOW=1), 8 and 4 by default.
  const slow = process.env.RETRYPROOF_SLOW === '1';
  it(`the concurrency probe catches RACY every time (${slow ? 20 : 8} runs) and never SAFE (${slow ? 10 : 4} runs)`, { timeout: 90_000 }, async () => {
    for (const [name, runs, effects] of [['http-api-racy', slow ? 20 : 8, 2], ['http-api-safe', slow ? 10 : 4, 1]] as const) {
      const { scenario, token } = example(name);
      const before = snapshot();
      const session = await openRunSession(scenario, { reportsDir });
      try {
        const [probe] = systematicCases(scenario, session.contacts).filter((item) => item.id.endsWith('/probe:concurrent'));
        expect(probe, 'the probe is planned').toBeDefined();
        const seen: number[] = [];
        const verdicts: string[] = [];
        for (let i = 0; i < runs; i += 1) {
          const result = await session.runOne({ ...probe!, id: `${probe!.id}#${i}` }, 'systematic');
          seen.push(result.effects);
          verdicts.push(result.checks.find((check) => check.check === 'no-duplicate-effects')!.status);
        }
        expect(seen, `${name}: effects of each run`).toEqual(Array(runs).fill(effects));
        expect(verdicts, `${name}: no-duplicate-effects of each run`).toEqual(Array(runs).fill(effects === 2 ? 'fail' : 'pass'));
      } finally {
        await session.finish();
      }
      before.expectNothingLeft(token);
    }
  });
});

describe('startHttpSession with a started API', () => {
  it('records http rows, survives a crash fault by starting the API again, and restarts per case', { timeout: 30_000 }, async () => {
    const { scenario, token } = example('http-api-safe');
    const before = snapshot();
    const upstreams = await startUpstreams(scenario);
    const target = await startTargetSession(scenario, upstreams);
    try {
      const env = { scenario, upstreams, target, ledger: undefined as unknown as Ledger };
      const apiPids = (): number[] => liveWithEnv(TOKEN_VAR, token).map((proc) => proc.pid);
      const first = apiPids();
      expect(first).toHaveLength(1);
      const rows = await executeCase(env, 'crash', 'systematic', {
        operation: 'create-order',
        faults: [{ upstream: 'payments', ordinal: 1, fault: 'crash-after-commit' }],
        caller: { retries: 2, key: 'same', replay: true, delayMs: 0 },
      });
      const [crashed, retry, replay] = rows.invocations;
      expect(rows.invocations.map((row) => [row.role, row.httpStatus])).toEqual([['attempt', null], ['attempt', 201], ['replay', 201]]);
      expect(crashed).toMatchObject({ targetKind: 'http', exitCode: null, killed: false, killReason: null, effect: null, responseHeaders: null });
      expect(crashed!.error).toMatch(/the API process was killed by a crash fault/);
      // The retry reached a new API process (started on demand), and payments deduplicated by the forwarded key.
      expect(rows.effects).toHaveLength(1);
      expect(retry).toMatchObject({ effect: 'created', argv: ['POST', '/orders'], error: null });
      expect(retry!.request).toEqual({
        method: 'POST',
        path: '/orders',
        headers: { 'Idempotency-Key': retry!.key, 'content-type': 'application/json' },
        body: { amount: 100, currency: 'eur' },
      });
      expect(retry!.stdoutJson).toMatchObject({ amount: 100, currency: 'eur', charge: 'cha_1', effect: 'created' });
      expect(JSON.parse(retry!.stdout)).toEqual(retry!.stdoutJson);
      expect(replay!.responseHeaders).toMatchObject({ 'idempotent-replayed': 'true', 'content-type': 'application/json' });
      expect(replay!.stdoutJson).toEqual(retry!.stdoutJson);
      const second = apiPids();
      expect(second).toHaveLength(1);
      expect(second[0]).not.toBe(first[0]);
      // restart: per-case: the next case gets a fresh process.
      await target.beginCase!(dir);
      const third = apiPids();
      expect(third).toHaveLength(1);
      expect(third[0]).not.toBe(second[0]);
    } finally {
      await target.close();
      await upstreams.close();
    }
    before.expectNothingLeft(token);
  });
});

describe('{{case.dir}} in start.env (issue 14, item 6)', () => {
  // Answers every request with the folder it was given, after writing a file there.
  const api = path.join(dir, 'dir-api.mjs');
  writeFileSync(
    api,
    `import http from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
http.createServer((req, res) => {
  writeFileSync(path.join(process.env.STATE_DIR, 'seen'), req.url);
  res.writeHead(201, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ effect: 'created', dir: process.env.STATE_DIR }));
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
  );
  const scenarioWith = (restart: 'per-case' | 'never'): Scenario =>
    parseScenario(
      YAML.stringify({
        name: `case-dir-${restart}`,
        target: { kind: 'http', start: { argv: [process.execPath, api], env: { STATE_DIR: '{{case.dir}}' }, ready: { path: '/', timeoutMs: 10_000 }, restart }, timeoutMs: 5_000 },
        upstreams: { payments: { model: 'resource' } },
        operations: [{ name: 'create-order', request: { method: 'POST', path: '/orders' } }],
        faults: ['none'],
      }),
      path.join(dir, `case-dir-${restart}.yaml`),
    );

  async function dirsOfTwoCases(restart: 'per-case' | 'never'): Promise<string[]> {
    const scenario = scenarioWith(restart);
    const upstreams = await startUpstreams(scenario);
    const target = await startTargetSession(scenario, upstreams);
    try {
      const env = { scenario, upstreams, target, ledger: undefined as unknown as Ledger };
      const schedule = { operation: 'create-order', faults: [], caller: { retries: 0, key: 'same' as const, replay: false, delayMs: 0 } };
      const dirs: string[] = [];
      for (const id of ['one', 'two']) {
        const rows = await executeCase(env, id, 'systematic', schedule);
        expect(rows.invocations[0]!.httpStatus).toBe(201);
        dirs.push((rows.invocations[0]!.stdoutJson as { dir: string }).dir);
      }
      return dirs;
    } finally {
      await target.close();
      await upstreams.close();
    }
  }

  it('is the case\'s own folder with restart: per-case, and one folder for the API\'s life otherwise, removed at the end', { timeout: 60_000 }, async () => {
    const perCase = await dirsOfTwoCases('per-case');
    expect(perCase[0]).not.toBe(perCase[1]);
    expect(perCase.every((folder) => folder.startsWith(os.tmpdir()))).toBe(true);
    const never = await dirsOfTwoCases('never');
    expect(never[0]).toBe(never[1]);
    expect(never[0]).toMatch(/retryproof-api-/);
    for (const folder of [...perCase, ...never]) expect(existsSync(folder), folder).toBe(false);
  });
});

describe('startHttpSession with a restart fault', () => {
  it('stops the API gracefully after the answer and starts it again before the next invocation, not after the last', { timeout: 30_000 }, async () => {
    const token = randomUUID();
    tokens.push(token);
    const log = path.join(dir, 'restart.log');
    writeFileSync(log, '');
    writeFileSync(
      path.join(dir, 'forgetful-api.mjs'),
      `import { appendFileSync } from 'node:fs';
import http from 'node:http';
const note = (line) => appendFileSync(process.env.LOG_FILE, line + ' ' + process.pid + '\\n');
note('start');
process.on('SIGTERM', () => { note('SIGTERM'); process.exit(0); });
let made = 0; // in memory only: a restart forgets it
http.createServer((req, res) => {
  if (req.method === 'GET') return res.end('ok');
  const charge = http.request(process.env.PAYMENTS_URL + '/charges', { method: 'POST', headers: { 'content-type': 'application/json' } }, (answer) => {
    answer.resume();
    answer.on('end', () => {
      made += 1;
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ effect: 'created', pid: process.pid, made }));
    });
  });
  charge.end(JSON.stringify({ amount: 1 }));
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
    );
    const scenario = parseScenario(
      YAML.stringify({
        target: {
          kind: 'http',
          start: { argv: ['node', 'forgetful-api.mjs'], env: { [TOKEN_VAR]: token, LOG_FILE: log, PAYMENTS_URL: '{{upstreams.payments.url}}' }, ready: { path: '/health' } },
          timeoutMs: 3000,
        },
        upstreams: { payments: { model: 'resource', path: '/charges' } },
        operations: [{ name: 'make', request: { method: 'POST', path: '/things', body: { n: 1 } } }],
      }),
      path.join(dir, 'restart.yaml'),
    );
    const before = snapshot();
    const upstreams = await startUpstreams(scenario);
    const target = await startTargetSession(scenario, upstreams);
    const pidOf = (row: { stdoutJson: unknown }): number => (row.stdoutJson as { pid: number }).pid;
    const logged = (): string[] => readFileSync(log, 'utf8').trim().split('\n');
    try {
      expect(target.unsupportedFaults.has('restart-after-commit')).toBe(false);
      const env = { scenario, upstreams, target, ledger: undefined as unknown as Ledger };
      const restartAt1 = { operation: 'make', faults: [{ upstream: 'payments', ordinal: 1, fault: 'restart-after-commit' }] };
      const rows = await executeCase(env, 'restart', 'systematic', { ...restartAt1, caller: { retries: 0, key: 'same', replay: true, delayMs: 0 } });
      const [attempt, replay] = rows.invocations;
      // The first answer came from the first process; the replay from a fresh one that had forgotten it.
      expect(rows.invocations.map((row) => [row.role, row.httpStatus, (row.stdoutJson as { made: number }).made])).toEqual([['attempt', 201, 1], ['replay', 201, 1]]);
      expect(pidOf(replay!)).not.toBe(pidOf(attempt!));
      expect(rows.requests.map((request) => [request.fault, request.delivery, request.clientStatus])).toEqual([['restart-after-commit', 'response', 201], ['none', 'response', 201]]);
      // Gracefully: the old process got SIGTERM (and could say so) before the new one started.
      expect(logged()).toEqual([`start ${pidOf(attempt!)}`, `SIGTERM ${pidOf(attempt!)}`, `start ${pidOf(replay!)}`]);
      expect(liveWithEnv(TOKEN_VAR, token).map((proc) => proc.pid)).toEqual([pidOf(replay!)]);

      // No invocation after the faulted request: no restart, and none carried into the next case.
      const last = await executeCase(env, 'restart-last', 'systematic', { ...restartAt1, caller: { retries: 0, key: 'same', replay: false, delayMs: 0 } });
      const next = await executeCase(env, 'after', 'systematic', { operation: 'make', faults: [], caller: { retries: 0, key: 'same', replay: false, delayMs: 0 } });
      expect(pidOf(last.invocations[0]!)).toBe(pidOf(replay!));
      expect(pidOf(next.invocations[0]!)).toBe(pidOf(replay!));
      expect((next.invocations[0]!.stdoutJson as { made: number }).made).toBe(3);
      expect(logged()).toHaveLength(3);
    } finally {
      await target.close();
      await upstreams.close();
    }
    before.expectNothingLeft(token);
  });
});

describe('startHttpSession with an API that exits by itself', () => {
  it('says so in the invocation that lost its connection, with the end of its output, and starts it again', { timeout: 30_000 }, async () => {
    const token = randomUUID();
    tokens.push(token);
    writeFileSync(
      path.join(dir, 'fragile-api.mjs'),
      `import http from 'node:http';
http.createServer((req, res) => {
  if (req.url === '/die') { console.error('dying on purpose'); process.exit(5); }
  res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ pid: process.pid }));
}).listen(Number(process.env.PORT), '127.0.0.1');
`,
    );
    const scenario = parseScenario(
      YAML.stringify({
        target: { kind: 'http', start: { argv: ['node', 'fragile-api.mjs'], env: { [TOKEN_VAR]: token } }, timeoutMs: 2000 },
        upstreams: { payments: { model: 'resource', path: '/charges' } },
        operations: [
          { name: 'die', request: { path: '/die' } },
          { name: 'ok', request: { path: '/ok' } },
        ],
      }),
      path.join(dir, 'fragile.yaml'),
    );
    const before = snapshot();
    const upstreams: RunningUpstreams = { pipelines: [], urls: new Map(), traits: new Map(), close: async () => undefined };
    const session = await startHttpSession(scenario, upstreams);
    try {
      const recorder = new CaseRecorder('case-1', 'die');
      const context = (name: string): CaseInvokeContext => ({
        scenario,
        operation: scenario.operations.find((op) => op.name === name)!,
        urls: upstreams.urls,
        caseDir: dir,
        recorder,
        live: new Map(),
      });
      const first = await session.invoke(context('ok'), 'attempt', 'k', 1, {});
      const died = await session.invoke(context('die'), 'attempt', 'k', 2, {});
      expect(died.httpStatus).toBeNull();
      expect(died.error).toMatch(/the API process exited by itself \(its output ends: dying on purpose\)/);
      const again = await session.invoke(context('ok'), 'attempt', 'k', 3, {});
      expect(again.httpStatus).toBe(201);
      expect((again.stdoutJson as { pid: number }).pid).not.toBe((first.stdoutJson as { pid: number }).pid);
    } finally {
      await session.close();
    }
    before.expectNothingLeft(token);
  });
});

describe('startHttpSession with an API at a base URL', () => {
  let server: http.Server | undefined;
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  });

  it('invokes it concurrently, marks a replay noop from Idempotent-Replayed, abandons at the timeout, and skips crash faults', async () => {
    const seen = new Set<string>();
    server = http.createServer((req, res) => {
      const key = req.headers['idempotency-key'];
      const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
      setTimeout(() => {
        if (res.destroyed) return;
        const replayed = typeof key === 'string' && seen.has(key);
        if (typeof key === 'string') seen.add(key);
        res.writeHead(replayed ? 200 : 201, { 'content-type': 'application/json', ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) });
        res.end(JSON.stringify({ id: 'thing_1' }));
      }, delay);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const scenario = parseScenario(
      YAML.stringify({
        target: { kind: 'http', baseUrl, timeoutMs: 2000 },
        upstreams: { payments: { model: 'resource', path: '/charges' } },
        operations: [{ name: 'make', request: { path: '/things?delay={{input.delay}}', body: { n: '{{input.n}}' } }, input: { delay: 200, n: 1 } }],
      }),
      path.join(dir, 'base-url.yaml'),
    );
    const upstreams: RunningUpstreams = { pipelines: [], urls: new Map(), traits: new Map(), close: async () => undefined };
    const session = await startHttpSession(scenario, upstreams);
    try {
      expect([...session.unsupportedFaults.keys()]).toEqual([...CRASH_FAULTS, ...RESTART_FAULTS]);
      expect(new Set(session.unsupportedFaults.values())).toEqual(new Set([BASE_URL_CRASH_REASON, BASE_URL_RESTART_REASON]));
      await session.beginCase?.();
      const live = new Map<number, RunningInvocation>();
      const context: CaseInvokeContext = {
        scenario,
        operation: scenario.operations[0]!,
        urls: upstreams.urls,
        caseDir: dir,
        recorder: new CaseRecorder('case-1', 'make'),
        live,
      };
      // Two at once: both run concurrently (each takes 200 ms at the API).
      const [a, b] = await Promise.all([session.invoke(context, 'concurrent', 'k-1', 1, {}), session.invoke(context, 'concurrent', 'k-2', 2, {})]);
      expect([a.httpStatus, b.httpStatus]).toEqual([201, 201]);
      expect(Math.abs(a.startedMs - b.startedMs)).toBeLessThan(150);
      expect(a.effect).toBeNull();
      const replay = await session.invoke(context, 'replay', 'k-1', 3, {});
      expect(replay).toMatchObject({ httpStatus: 200, effect: 'noop', responseHeaders: { 'idempotent-replayed': 'true' } });
      // Abandoned: no status, the error in words; it stays crashable for the rest of the case.
      const abandoned = await session.invoke(context, 'attempt', 'k-3', 4, { abandonAfterMs: 100 });
      expect(abandoned).toMatchObject({ httpStatus: null, error: 'abandoned after 100 ms', effect: null, killed: false });
      expect(abandoned.durationMs).toBeLessThan(1000);
      expect([...live.keys()]).toEqual([abandoned.id]);
      expect(context.recorder.live.size).toBe(0);
      expect(context.recorder.invocations.map((row) => row.id)).toEqual([1, 2, 3, 4].filter((id) => [a.id, b.id, replay.id, abandoned.id].includes(id)));
    } finally {
      await session.close();
    }
  });
});

describe('startHttpSession: an abandoned request the API goes on working on (issue 18, hole 8)', () => {
  let api: http.Server | undefined;
  let upstream: UpstreamHarness | undefined;
  afterAll(async () => {
    api?.closeAllConnections();
    await new Promise((resolve) => (api ? api.close(resolve) : resolve(undefined)));
    await upstream?.close();
  });

  it('keeps it live while the API may still be working on it: its late upstream request is not credited to the next invocation', async () => {
    upstream = await UpstreamHarness.start(charges());
    const upstreamUrl = upstream.url;
    // Works 300 ms, then charges, then answers: the caller gives up at 100 ms and retries at once.
    api = http.createServer((req, res) => {
      req.resume();
      setTimeout(() => {
        void fetch(`${upstreamUrl}/charges`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"amount":100}' }).then(async (answer) => {
          await answer.text();
          if (res.destroyed) return;
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end('{"id":"thing_1"}');
        });
      }, 300);
    });
    await new Promise<void>((resolve) => api!.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const scenario = parseScenario(
      YAML.stringify({
        target: { kind: 'http', baseUrl, timeoutMs: 2000 },
        upstreams: { payments: { model: 'resource', path: '/charges' } },
        operations: [{ name: 'make', request: { path: '/things', body: { n: 1 } } }],
      }),
      path.join(dir, 'abandoned.yaml'),
    );
    const session = await startHttpSession(scenario, { pipelines: [], urls: new Map(), traits: new Map(), close: async () => undefined });
    try {
      const started = upstream.begin();
      started.recorder.quietMs = 100;
      const context: CaseInvokeContext = { scenario, operation: scenario.operations[0]!, urls: new Map(), caseDir: dir, recorder: started.recorder, live: new Map() };
      const abandoned = await session.invoke(context, 'attempt', 'k-1', 1, { abandonAfterMs: 100 });
      expect(abandoned.httpStatus).toBeNull();
      const retry = await session.invoke(context, 'attempt', 'k-1', 2, {});
      expect(retry.httpStatus).toBe(201);
      await settled(started.recorder);
      const requests = started.recorder.requests;
      expect(requests).toHaveLength(2);
      // The first charge is the abandoned invocation's work, sent while the retry ran: either's, so no one's.
      expect(requests[0]!.invocationId).not.toBe(retry.id);
      expect(requests[0]!.invocationId).toBeNull();
      // Once the API has gone quiet with nothing else live, it is over.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(started.recorder.live.size).toBe(0);
    } finally {
      await session.close();
    }
  });
});
