import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { RetryproofError } from '../errors.js';
import { renderTemplate, templateReferences } from '../scenario/template.js';
import { BoundedOutput } from './bounded-output.js';
import { describeHolder, portHolder, portTakenFrom, type PortHolder } from './port-holder.js';
import { liveProcesses, processInfo } from './linux-proc.js';
import { signalGroup, trackGroup, untrackGroup } from './process-group.js';

/** `target.start` of an http target, as the scenario schema gives it. */
export interface HttpStartSpec {
  argv: string[];
  env: Record<string, string>;
  ready: { path: string; timeoutMs: number };
}

export interface HttpServerOptions {
  /** Absolute working directory (the scenario's resolved `cwd`). */
  cwd: string;
  /** Upstream base URLs by name, for `{{upstreams.NAME.url}}`. */
  urls: ReadonlyMap<string, string>;
  /** The environment the API inherits; `PORT` and the rendered `start.env` go on top. */
  baseEnv: Record<string, string>;
  /** The scenario file, to name in error messages. */
  file?: string;
  /** Between SIGTERM and SIGKILL at shutdown (default KILL_GRACE_MS). */
  killGraceMs?: number;
  /** Bytes of stdout and of stderr kept (default MAX_SERVER_OUTPUT_BYTES). */
  maxOutputBytes?: number;
  /** What `{{case.dir}}` renders to in start.argv and start.env (a folder the API may keep state in). */
  caseDir?: string;
  /** Picks the port for each start (default freePort); tests hand out a taken one. */
  choosePort?: () => Promise<number>;
}

/** Time a stopping API gets between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 1_000;
/** Output of the API kept for error messages; the rest is counted and dropped. */
export const MAX_SERVER_OUTPUT_BYTES = 256 * 1024;
/** Pause between two readiness probes. */
const PROBE_INTERVAL_MS = 25;
/** One readiness probe gives up after this long (a server that accepts but never answers). */
const PROBE_TIMEOUT_MS = 1_000;
/** After the API's main process exits, how long to wait for the rest of its group to disappear. */
const GROUP_GONE_MS = 1_000;
/** After the API exits, how long to wait for the rest of its output in the pipes. */
const PIPE_DRAIN_MS = 200;
/** Starts of the API on a fresh port when another program took the one picked for it. */
const PORT_ATTEMPTS = 3;
/**
 * How long a listener outside the API's process group that started after the
 * API is watched before it is believed to serve for the API (a container
 * runtime's port proxy does): an API that lost its port to it exits sooner.
 */
const OTHER_HOLDER_GRACE_MS = 3_000;
/** Lines of the API's output quoted in an error message. */
const TAIL_LINES = 12;
/** Bytes of the end of its output kept, for the last lines of an API that wrote more than the head holds. */
const TAIL_BYTES = 16 * 1024;

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** An API the harness started, listening on 127.0.0.1. */
export interface RunningServer {
  readonly pid: number;
  readonly port: number;
  /** When its main process started (clock ticks since boot, Linux), to tell it from programs started before it. */
  readonly startTicks: number | undefined;
  /** http://127.0.0.1:PORT */
  readonly baseUrl: string;
  /** The argv it was started with (templates rendered). */
  readonly argv: readonly string[];
  /** Whether its main process is still running. */
  running(): boolean;
  /** Whether `kill` was called (a crash fault). */
  crashed(): boolean;
  /** Resolves when its main process has exited. */
  readonly exited: Promise<ServerExit>;
  /** SIGKILL to the whole process group, now (a crash fault). Does not wait. */
  kill(): void;
  /** SIGTERM to the group, SIGKILL after the grace period; resolves when the group is gone. Safe to call twice. */
  stop(): Promise<void>;
  /** The last lines of what it wrote to stderr (or, if nothing, to stdout). */
  outputTail(): string;
}

/** Ports handed to APIs of this process that have not exited: never handed out twice, even before the API binds. */
const handedOut = new Set<number>();

/** A free TCP port on 127.0.0.1 that no running API of this process was given: listen on port 0, read the port, close. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt += 1) {
    const port = await probePort();
    if (!handedOut.has(port) || attempt >= 20) return port;
  }
}

function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not read the port of a probe socket'))));
    });
  });
}

/**
 * Starts the API from `target.start`: picks a free port on 127.0.0.1, renders
 * `{{port}}` and `{{upstreams.NAME.url}}` in argv and env, runs it (never
 * through a shell) in its own process group with PORT set, and polls
 * `ready.path` until it answers below 500. If the API exits early or is not
 * ready in time, its whole group is killed and a RetryproofError quotes the end
 * of its stderr.
 */
export async function startHttpServer(start: HttpStartSpec, options: HttpServerOptions): Promise<RunningServer> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnPort(start, options, await (options.choosePort ?? freePort)());
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt >= PORT_ATTEMPTS) throw error instanceof PortTaken ? error.failure : error;
    }
  }
}

/** The API exited before it was ready while another program held its port: start it again on another. */
class PortTaken extends Error {
  constructor(readonly failure: RetryproofError) {
    super(failure.message);
  }
}

async function startOnPort(start: HttpStartSpec, options: HttpServerOptions, port: number): Promise<RunningServer> {
  const values = new Map<string, string>([['port', String(port)]]);
  if (options.caseDir) values.set('case.dir', options.caseDir);
  for (const [name, url] of options.urls) values.set(`upstreams.${name}.url`, url);
  const render = (text: string, field: string): string => {
    for (const reference of templateReferences(text)) {
      if (!values.has(reference)) {
        throw new RetryproofError(
          'TEMPLATE_UNKNOWN',
          `{{${reference}}} has no value when the API starts (it is started once, not per invocation)`,
          { file: options.file, field },
          'in target.start use only {{port}}, {{case.dir}} and {{upstreams.NAME.url}}; per-request values belong in operations[].request',
        );
      }
    }
    return renderTemplate(text, values);
  };
  const argv = start.argv.map((arg, i) => render(arg, `target.start.argv[${i}]`));
  const env: Record<string, string> = { ...options.baseEnv, PORT: String(port) };
  for (const [name, value] of Object.entries(start.env)) env[name] = render(value, `target.start.env.${name}`);
  handedOut.add(port);
  let server: RunningServer;
  try {
    server = await spawnServer(argv, env, port, options);
  } catch (error) {
    handedOut.delete(port);
    throw error;
  }
  void server.exited.then(() => handedOut.delete(port));
  try {
    await waitUntilReady(server, start.ready, options.file);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function spawnServer(argv: string[], env: Record<string, string>, port: number, options: HttpServerOptions): Promise<RunningServer> {
  const [program, ...args] = argv;
  if (!program) throw new RetryproofError('TARGET_SPAWN_FAILED', 'target.start.argv is empty', { file: options.file, field: 'target.start.argv' }, 'name the program that starts the API');
  const child = spawn(program, args, { cwd: options.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
  const limit = options.maxOutputBytes ?? MAX_SERVER_OUTPUT_BYTES;
  const stdout = new BoundedOutput(child.stdout, limit);
  const stderr = new BoundedOutput(child.stderr, limit);
  // The head is kept above; a long-running API's last words are at the end.
  const stdoutTail = keepTail(child.stdout, TAIL_BYTES);
  const stderrTail = keepTail(child.stderr, TAIL_BYTES);
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RetryproofError(
      'TARGET_SPAWN_FAILED',
      `cannot start the API: ${JSON.stringify(program)} (${code ?? (error as Error).message})`,
      { file: options.file, field: 'target.start.argv[0]' },
      code === 'ENOENT' ? 'check the program name and the PATH, or give a path relative to target.start.cwd' : 'check that the program is executable',
      { cause: error },
    );
  }
  const pid = child.pid!;
  trackGroup(pid);
  const startTicks = processInfo(pid)?.startTicks;
  let exit: ServerExit | undefined;
  let killed = false;
  const pipesClosed = Promise.all([child.stdout, child.stderr].map((stream) => (stream.closed ? undefined : new Promise((resolve) => stream.once('close', resolve)))));
  const exited = new Promise<ServerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      const value = { code, signal };
      exit = value;
      // Whatever the API forked dies with it.
      signalGroup(pid, 'SIGKILL');
      // Its last words may still be in the pipes; a grandchild may hold them open, so not forever.
      const drain = setTimeout(() => resolve(value), PIPE_DRAIN_MS);
      void pipesClosed.then(() => {
        clearTimeout(drain);
        resolve(value);
      });
    });
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exit) {
        signalGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), options.killGraceMs ?? KILL_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      await groupGone(pid);
      untrackGroup(pid);
      child.stdout.destroy();
      child.stderr.destroy();
    })();
    return stopping;
  };
  return {
    pid,
    port,
    startTicks,
    baseUrl: `http://127.0.0.1:${port}`,
    argv,
    running: () => exit === undefined,
    crashed: () => killed,
    exited,
    kill: () => {
      killed = true;
      if (!exit) signalGroup(pid, 'SIGKILL');
    },
    stop,
    outputTail: () => tail(stderr.truncated ? stderrTail() : stderr.text()) || tail(stdout.truncated ? stdoutTail() : stdout.text()),
  };
}

/**
 * Polls `ready.path` until any status below 500 from the API itself; throws
 * if the API exits first or the time runs out (PortTaken if it exited while
 * another program held its port).
 */
async function waitUntilReady(server: RunningServer, ready: HttpStartSpec['ready'], file: string | undefined): Promise<void> {
  const url = `${server.baseUrl}${ready.path}`;
  const deadline = performance.now() + ready.timeoutMs;
  const agent = new Agent({ pipelining: 0 });
  let exit: ServerExit | undefined;
  void server.exited.then((value) => (exit = value));
  let last = 'no answer yet';
  let otherSince: number | undefined;
  try {
    for (;;) {
      if (exit) break;
      const left = deadline - performance.now();
      const probeMs = Math.max(1, Math.round(Math.min(PROBE_TIMEOUT_MS, left)));
      try {
        const response = await request(url, { dispatcher: agent, signal: AbortSignal.timeout(probeMs) });
        await response.body.dump();
        if (response.statusCode < 500) {
          const holder = portHolder(server.port, server);
          if (answeredByApi(holder, (otherSince ??= performance.now()))) return;
          if (holder.kind === 'other') last = `port ${server.port} answered, but ${describeHolder(holder.holder)} holds it, not the API's process group`;
        } else last = `it answered ${response.statusCode}`;
      } catch (error) {
        // A probe cut short by the deadline says less than the one before it.
        if (probeMs === PROBE_TIMEOUT_MS || last === 'no answer yet') last = describeProbeError(error, probeMs);
      }
      if (exit || performance.now() >= deadline) break;
      await Promise.race([new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS)), server.exited]);
    }
  } finally {
    await agent.destroy().catch(() => undefined);
  }
  const output = server.outputTail();
  const quoted = output ? `; its output ends:\n${indent(output)}` : ' (it printed nothing)';
  if (exit) {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    const taken = portTakenFrom(server.port, server);
    const failure = new RetryproofError(
      'TARGET_SPAWN_FAILED',
      `the API (${server.argv.join(' ')}) ${how} before it was ready${taken ? `, and another program holds port ${server.port}: it was taken between the harness's pick and the API's start, ${PORT_ATTEMPTS} times in a row` : ''}${quoted}`,
      { file, field: 'target.start' },
      taken
        ? 'another program on this machine keeps taking fresh ports; run retryproof where fewer programs open ports at once'
        : 'run target.start.argv by hand to see why it stops; it must keep running and listen on 127.0.0.1 at {{port}} (also in env PORT)',
    );
    throw taken ? new PortTaken(failure) : failure;
  }
  throw new RetryproofError(
    'TARGET_SPAWN_FAILED',
    `the API (${server.argv.join(' ')}) was not ready after ${ready.timeoutMs} ms: GET ${ready.path} never answered below 500 (last: ${last})${quoted}`,
    { file, field: 'target.start' },
    'make the API listen on 127.0.0.1 at {{port}} (also in env PORT), or point target.start.ready.path at a route that answers, or raise target.start.ready.timeoutMs',
  );
}

/**
 * Whether an answer on the API's port came from the API. A program that was
 * running before the API started cannot be the API's. One that started after
 * it may be what the API started (a container runtime's port proxy, a daemon
 * in a session of its own), or another program that took the port first: it
 * is believed once the API has lived beside it for OTHER_HOLDER_GRACE_MS
 * without exiting (an API that lost its port exits at once).
 */
function answeredByApi(holder: PortHolder, otherSince: number): boolean {
  if (holder.kind !== 'other') return true;
  if (holder.before) return false;
  return performance.now() - otherSince >= OTHER_HOLDER_GRACE_MS;
}

function describeProbeError(error: unknown, probeMs: number): string {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') return `no answer within ${Math.round(probeMs)} ms`;
  return `${(error as Error).message}${code ? ` (${code})` : ''}`;
}

/** Waits (boundedly) until no live process of the group is left, SIGKILLing what remains. */
async function groupGone(pgid: number): Promise<void> {
  const deadline = performance.now() + GROUP_GONE_MS;
  while (performance.now() < deadline && groupAlive(pgid)) {
    signalGroup(pgid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Whether a process of the group is still alive. On Linux the process table
 * says so directly, leaving out zombies: a killed grandchild, reparented to
 * init, holds no socket and may wait a while to be reaped. Elsewhere, signal 0
 * (which counts zombies too).
 */
function groupAlive(pgid: number): boolean {
  if (existsSync('/proc/self/stat')) return liveProcesses().some((info) => info.pgid === pgid);
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Keeps the last `limit` bytes a stream carries (beyond what BoundedOutput keeps of its head). */
function keepTail(stream: Readable, limit: number): () => string {
  let chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size > 2 * limit) {
      const joined = Buffer.concat(chunks);
      chunks = [joined.subarray(joined.length - limit)];
      size = limit;
    }
  });
  return () => {
    const joined = Buffer.concat(chunks);
    return joined.subarray(Math.max(0, joined.length - limit)).toString('utf8');
  };
}

function tail(text: string): string {
  const lines = text.split('\n').map((line) => line.trimEnd()).filter(Boolean);
  const last = lines.slice(-TAIL_LINES).join('\n');
  return last.length > 4000 ? `…${last.slice(-4000)}` : last;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
