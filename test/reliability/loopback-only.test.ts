/**
 * DESIGN.md, "Promises of the harness itself": it listens on 127.0.0.1 only.
 *
 * During a whole runScenario over an http target that the harness starts
 * (test/fixtures/hostile/tiny-api.mjs, told its port by {{port}}) and two
 * upstreams, the test samples /proc/net/tcp and /proc/net/tcp6 with the socket
 * inodes that this process and its descendants hold, and asserts that every
 * listening socket that appeared is IPv4 127.0.0.1 — the upstream servers, the
 * started API, and any probe socket the harness opens to find a free port —
 * and that none is left listening afterwards.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/runner/run-scenario.js';
import { loadScenario } from '../../src/scenario/load.js';
import { liveDescendants } from '../targets/proc-table.js';
import { HOSTILE, killToken, listeningTcp, socketInodesOf, survivors, TOKEN_VAR, type TcpListener } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-loopback-'));
const token = randomUUID();
afterAll(() => {
  killToken(token);
  rmSync(dir, { recursive: true, force: true });
});

interface Seen extends TcpListener {
  /** 'harness' for this process, else the pid of the descendant that held it. */
  owner: string;
}

/** Listening sockets held by this process and its descendants, right now. */
function sample(): Seen[] {
  const listening = listeningTcp();
  const owners: Array<[string, number]> = [['harness', process.pid], ...liveDescendants(process.pid).map((proc): [string, number] => [String(proc.pid), proc.pid])];
  const seen: Seen[] = [];
  for (const [owner, pid] of owners) {
    const inodes = socketInodesOf(pid);
    for (const socket of listening) if (inodes.has(socket.inode)) seen.push({ ...socket, owner });
  }
  return seen;
}

describe('every server the harness starts listens on 127.0.0.1', () => {
  it('upstreams and a started http target, sampled from /proc/net/tcp{,6} during a whole run', { timeout: 60_000 }, async () => {
    const file = path.join(dir, 'loopback.yaml');
    writeFileSync(
      file,
      YAML.stringify({
        name: 'loopback',
        target: {
          kind: 'http',
          start: {
            argv: [process.execPath, path.join(HOSTILE, 'tiny-api.mjs'), '--port', '{{port}}'],
            env: { PAYMENTS_URL: '{{upstreams.payments.url}}', [TOKEN_VAR]: token },
            ready: { path: '/health', timeoutMs: 15_000 },
            restart: 'per-case',
          },
          timeoutMs: 5_000,
        },
        upstreams: {
          payments: { model: 'resource', path: '/charges', honoursIdempotencyKey: true },
          mail: { model: 'mailer' },
        },
        operations: [{ name: 'order', request: { method: 'POST', path: '/orders', body: { amount: 5 } } }],
        caller: { retries: 1, replay: true },
        faults: ['none', '503-after-commit'],
        depth: 1,
        checks: ['no-duplicate-effects'],
        probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false },
      }),
    );
    const scenario = loadScenario(file);
    const before = new Set(sample().map((socket) => socket.inode));
    const seen = new Map<string, Seen>();
    const timer = setInterval(() => {
      for (const socket of sample()) if (!before.has(socket.inode)) seen.set(socket.inode, socket);
    }, 10);
    try {
      const result = await runScenario(scenario, { reportsDir: path.join(dir, 'reports') });
      expect(result.cases.length).toBeGreaterThanOrEqual(2);
    } finally {
      clearInterval(timer);
    }
    const sockets = [...seen.values()];
    const harness = new Set(sockets.filter((socket) => socket.owner === 'harness').map((socket) => socket.port));
    const api = sockets.filter((socket) => socket.owner !== 'harness');
    // What the test looks at was there: both upstreams, and the API (restarted per case: one per case).
    expect(harness.size, JSON.stringify(sockets)).toBeGreaterThanOrEqual(2);
    expect(api.length, JSON.stringify(sockets)).toBeGreaterThanOrEqual(1);
    for (const socket of sockets) expect(socket, 'a listening socket not on 127.0.0.1').toMatchObject({ family: 'tcp', address: '127.0.0.1' });
    // And none of them is left listening.
    const still = new Set(listeningTcp().map((socket) => socket.inode));
    expect(sockets.filter((socket) => still.has(socket.inode))).toEqual([]);
    expect(await survivors(token)).toEqual([]);
  });
});
