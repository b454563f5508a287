/**
 * Shared helpers of the reliability tests: run the built CLI as a user does,
 * and read what is really alive and listening from /proc (never from the
 * harness's own bookkeeping).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive, killPids, liveWithEnv } from '../targets/proc-table.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = path.join(ROOT, 'dist/cli/main.js');
export const HOSTILE = path.join(ROOT, 'test/fixtures/hostile');
export const BAD_SCENARIOS = path.join(ROOT, 'test/fixtures/bad-scenarios');
/** Every target of these tests gets TOKEN_VAR=<a fresh uuid> in its env; descendants inherit it. */
export const TOKEN_VAR = 'RETRYPROOF_TEST_TOKEN';
export const NO_STACK = '    at ';

/** `npm test` builds first; a missing CLI means the tests would prove nothing. */
export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
}

/** The CLI's environment: no test-runner markers, no colour, temporary folders under `tmp`. */
export function cliEnv(tmp: string): NodeJS.ProcessEnv {
  mkdirSync(tmp, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', TMPDIR: tmp };
  for (const name of Object.keys(env)) if (name.startsWith('VITEST') || name === 'NODE_OPTIONS') delete env[name];
  return env;
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI to its end (SIGKILLed after `timeoutMs`, which then shows as signal SIGKILL). */
export function cli(args: string[], options: { cwd: string; tmp: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: cliEnv(options.tmp), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Starts the CLI in the background (for tests that signal it). */
export function startCli(args: string[], options: { cwd: string; tmp: string }): { child: ChildProcess; exited: Promise<{ status: number | null; signal: NodeJS.Signals | null; at: number }>; output: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: cliEnv(options.tmp), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  const exited = new Promise<{ status: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (status, signal) => resolve({ status, signal, at: Date.now() })),
  );
  return { child, exited, output: () => output };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` returns something other than undefined; undefined after `timeoutMs`. */
export async function poll<T>(probe: () => T | undefined, timeoutMs: number, everyMs = 20): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) return undefined;
    await sleep(everyMs);
  }
}

/**
 * Live processes that carry the token, after giving processes already sent
 * SIGKILL a moment to leave the table. What is returned really survived.
 */
export async function survivors(token: string, graceMs = 1_000): Promise<Array<{ pid: number; cmdline: string }>> {
  await poll(() => (liveWithEnv(TOKEN_VAR, token).length === 0 ? true : undefined), graceMs);
  return liveWithEnv(TOKEN_VAR, token).map((proc) => ({ pid: proc.pid, cmdline: proc.cmdline.join(' ').slice(0, 160) }));
}

/** Test cleanup: SIGKILL whatever still carries the token (only processes these tests started). */
export function killToken(token: string): void {
  killPids(liveWithEnv(TOKEN_VAR, token).map((proc) => proc.pid));
}

export { isAlive };

export interface TcpListener {
  address: string;
  port: number;
  family: 'tcp' | 'tcp6';
  inode: string;
}

/** Every TCP socket in LISTEN state in this network namespace, from /proc/net/tcp and /proc/net/tcp6. */
export function listeningTcp(): TcpListener[] {
  const found: TcpListener[] = [];
  for (const family of ['tcp', 'tcp6'] as const) {
    const file = `/proc/net/${family}`;
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A') continue;
      const [hex = '', hexPort = '0'] = fields[1]!.split(':');
      found.push({ address: decodeAddress(hex), port: parseInt(hexPort, 16), family, inode: fields[9]! });
    }
  }
  return found;
}

/** Whether anything listens on this TCP port (any address, IPv4 or IPv6). */
export function isListening(port: number): boolean {
  return listeningTcp().some((socket) => socket.port === port);
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
  // IPv6: four little-endian 32-bit words.
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => [6, 4, 2, 0].map((i) => word.slice(i, i + 2)));
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push(`${bytes[i]}${bytes[i + 1]}`.replace(/^0+(?=.)/, ''));
  return groups.join(':');
}

/** Socket inodes held open by a process (through /proc/PID/fd). */
export function socketInodesOf(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    const match = /^socket:\[(\d+)\]$/.exec(readlinkSafe(`/proc/${pid}/fd/${fd}`));
    if (match) inodes.add(match[1]!);
  }
  return inodes;
}

function readlinkSafe(file: string): string {
  try {
    return readlinkSync(file);
  } catch {
    return '';
  }
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Run folders under reports/<scenario>/. */
export function runFolders(reportsDir: string, scenario: string): string[] {
  const dir = path.join(reportsDir, scenario);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((name) => path.join(dir, name));
}

/** Reads every JSON record a fixture wrote into `dir` (files ending in `suffix`). */
export function records<T>(dir: string, suffix = '.json'): T[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(suffix) && !name.endsWith('.tmp'))
    .flatMap((name) => {
      try {
        return [JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as T];
      } catch {
        return [];
      }
    });
}

export interface SlowScenarioOptions {
  name: string;
  /** Folder the target writes its start/done records into. */
  logDir: string;
  token: string;
  sleepMs: number;
  faults: string[];
  spawnHelper?: boolean;
  checks?: string[];
  timeoutMs?: number;
}

/**
 * A scenario over test/fixtures/hostile/slow-target.mjs: one operation with the
 * caller's key as Idempotency-Key against a resource upstream that honours it,
 * probes off, depth 1. Each invocation sleeps `sleepMs` first.
 */
export function slowScenario(options: SlowScenarioOptions): Record<string, unknown> {
  return {
    name: options.name,
    target: {
      kind: 'command',
      argv: [process.execPath, path.join(HOSTILE, 'slow-target.mjs'), '--key', '{{key}}', '--amount', '{{input.amount}}'],
      env: {
        UPSTREAM_URL: '{{upstreams.payments.url}}',
        LOG_DIR: options.logDir,
        SLEEP_MS: String(options.sleepMs),
        SPAWN_HELPER: options.spawnHelper === false ? '0' : '1',
        REQUEST_TIMEOUT_MS: '3000',
        [TOKEN_VAR]: options.token,
      },
      timeoutMs: options.timeoutMs ?? 15_000,
      killGraceMs: 200,
    },
    upstreams: { payments: { model: 'resource', path: '/charges', honoursIdempotencyKey: true, noun: 'charge' } },
    operations: [{ name: 'charge', input: { amount: 5 } }],
    caller: { retries: 1, key: 'same', replay: true },
    faults: options.faults,
    depth: 1,
    holdLimitMs: 3_000,
    checks: options.checks ?? ['no-duplicate-effects', 'exit-codes'],
    probes: { mismatch: false, concurrent: false, dryRun: false, missingKey: false, persistent: false },
    explore: { maxFaults: 2, maxOrdinal: 2, maxRetries: 2 },
  };
}

export interface SlowRecord {
  pid: number;
  at: number;
  helper: number | null;
  upstreamPort: number | null;
  key: string | null;
}
