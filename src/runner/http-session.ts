import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InvocationVariant } from '../caller/caller.js';
import { CRASH_FAULTS, RESTART_FAULTS } from '../faults/registry.js';
import type { InvocationRole, InvocationRow } from '../ledger/rows.js';
import type { Scenario } from '../scenario/load.js';
import { buildRequest, createClientAgent, sendRequest, type HttpObservation } from '../targets/http-client.js';
import { startHttpServer, type RunningServer } from '../targets/http-server.js';
import { effectFor } from './http-effect.js';
import type { Observation, RunningInvocation } from '../targets/target.js';
import { inheritedEnv } from './inherited-env.js';
import { mismatchInput } from './inputs.js';
import type { CaseInvokeContext, TargetSession } from './target-session.js';
import { templateValues } from './template-values.js';
import type { RunningUpstreams } from './upstreams.js';

/** Why crash faults are left out for an API the harness did not start (the report lists them as skipped). */
export const BASE_URL_CRASH_REASON = 'the API at target.baseUrl was not started by the harness: there is no process to kill';
/** Why restart faults are left out for it. */
export const BASE_URL_RESTART_REASON = 'the API at target.baseUrl was not started by the harness: there is no process to restart';

/** After a transport error, how long to wait for the API's exit to be noticed (to explain the error). */
const EXIT_NOTICE_MS = 50;

type HttpTarget = Extract<Scenario['target'], { kind: 'http' }>;

/**
 * An http target for the length of a run: the API (started from
 * `target.start`, or already running at `target.baseUrl`) and one undici Agent.
 *
 * A crash fault SIGKILLs the started API's whole process group (the request in
 * flight sees its connection drop); the API is started again, on a fresh port,
 * before the next invocation or case. A restart fault (`restart-after-commit`)
 * stops it gracefully instead (SIGTERM to the group, waited for, SIGKILL after
 * KILL_GRACE_MS) and starts it again, on a fresh port, before the case's next
 * invocation. With `restart: per-case` every case starts with a fresh process,
 * so with fresh in-memory state.
 */
export async function startHttpSession(scenario: Scenario, upstreams: RunningUpstreams): Promise<TargetSession> {
  if (scenario.target.kind !== 'http') throw new Error(`startHttpSession called for a ${scenario.target.kind} target`);
  const target = scenario.target;
  const agent = createClientAgent();
  const api = target.start ? new StartedApi(scenario, target, upstreams.urls) : undefined;
  if (api) {
    try {
      await api.ensure();
    } catch (error) {
      await agent.destroy().catch(() => undefined);
      throw error;
    }
  }
  const fixedBase = target.baseUrl;
  let closed = false;
  /** A restart fault fired in this case: restart before the next invocation. */
  let restartDue = false;
  return {
    beginCase: async (caseDir) => {
      restartDue = false;
      if (!api) return;
      if (target.start?.restart === 'per-case') {
        // A fresh process per case gets the case's own folder as {{case.dir}}.
        api.dir = caseDir;
        await api.restart();
      } else await api.ensure();
    },
    invoke: async (context, role, key, seq, variant) => {
      if (closed) throw new Error('the http session is closed');
      let server: RunningServer | undefined;
      if (api && restartDue) {
        restartDue = false;
        server = await api.restart();
      } else if (api) server = await api.ensure();
      const baseUrl = server?.baseUrl ?? fixedBase!;
      return invokeHttp(target, agent, baseUrl, server, () => api?.crash(), context, role, key, seq, variant);
    },
    close: async () => {
      closed = true;
      await api?.stop();
      if (api) rmSync(api.runDir, { recursive: true, force: true });
      await agent.destroy().catch(() => undefined);
    },
    stateLocation: async () => {
      if (!api) return { baseUrl: fixedBase! };
      const server = await api.ensure();
      return { baseUrl: server.baseUrl, caseDir: api.dir };
    },
    restartBeforeNextInvocation: () => {
      if (api) restartDue = true;
    },
    unsupportedFaults: api
      ? new Map()
      : new Map([
          ...CRASH_FAULTS.map((fault): [string, string] => [fault, BASE_URL_CRASH_REASON]),
          ...RESTART_FAULTS.map((fault): [string, string] => [fault, BASE_URL_RESTART_REASON]),
        ]),
  };
}

/** The API process the session started: at most one at a time, restarted after a crash. */
class StartedApi {
  /** {{case.dir}} for an API that outlives its cases: one folder for the session's life. */
  readonly runDir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-api-'));
  /** What {{case.dir}} renders to at the next start: the case's folder with restart: per-case, else runDir. */
  dir = this.runDir;
  private current: RunningServer | undefined;
  /** A start (or restart) in progress: concurrent invocations wait for the same one. */
  private pending: Promise<RunningServer> | undefined;
  private stopped = false;

  constructor(
    private readonly scenario: Scenario,
    private readonly target: HttpTarget,
    private readonly urls: ReadonlyMap<string, string>,
  ) {}

  /** The running API, started (again) if it is not running. */
  ensure(): Promise<RunningServer> {
    if (this.pending) return this.pending;
    const current = this.current;
    if (current && current.running() && !current.crashed()) return Promise.resolve(current);
    return this.replace();
  }

  /** A fresh process, whatever the state of the current one (the old one is stopped gracefully first). */
  restart(): Promise<RunningServer> {
    if (this.pending) return this.pending.catch(() => undefined).then(() => this.replace());
    return this.replace();
  }

  /** A crash fault: SIGKILL the API's group now; it is started again before it is next needed. */
  crash(): void {
    this.current?.kill();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.pending?.catch(() => undefined);
    await this.current?.stop();
    this.current = undefined;
  }

  private replace(): Promise<RunningServer> {
    const old = this.current;
    this.current = undefined;
    const pending = (async () => {
      await old?.stop();
      if (this.stopped) throw new Error('the http session is closed');
      const start = this.target.start!;
      const server = await startHttpServer(start, {
        cwd: this.scenario.cwd,
        urls: this.urls,
        baseEnv: inheritedEnv(),
        file: this.scenario.file,
        caseDir: this.dir,
      });
      if (this.stopped) {
        await server.stop();
        throw new Error('the http session is closed');
      }
      this.current = server;
      return server;
    })();
    this.pending = pending;
    const clear = (): void => {
      if (this.pending === pending) this.pending = undefined;
    };
    pending.then(clear, clear);
    return pending;
  }
}

/** Runs one invocation against the API and records it. */
async function invokeHttp(
  target: HttpTarget,
  agent: ReturnType<typeof createClientAgent>,
  baseUrl: string,
  server: RunningServer | undefined,
  crash: () => void,
  context: CaseInvokeContext,
  role: InvocationRole,
  key: string,
  seq: number,
  variant: InvocationVariant,
): Promise<InvocationRow> {
  const { operation, recorder } = context;
  const input = variant.mismatch ? (mismatchInput(operation) ?? operation.input) : operation.input;
  const values = templateValues(context, key, input);
  const sent = buildRequest(operation, values, input, key, variant);
  const timeoutMs = variant.abandonAfterMs ?? target.timeoutMs;

  recorder.keys.add(key);
  const id = recorder.nextInvocationId();
  const startedMs = recorder.now();
  const observed = sendRequest(agent, baseUrl, sent, { timeoutMs });
  const running: RunningInvocation = { done: observed.then(toObservation), crash };
  context.live.set(id, running);
  recorder.live.add(id);
  let observation: HttpObservation;
  try {
    observation = await observed;
  } catch (error) {
    recorder.live.delete(id);
    throw error;
  }
  // An abandoned request may still be running inside the API: a crash fault it
  // meets later must still reach the API, so it stays crashable for the case;
  // and what the API sends for it must not be credited to the next invocation,
  // so it stays live in the recorder until the API has gone quiet (see linger).
  if (observation.abandoned) recorder.linger(id);
  else {
    recorder.live.delete(id);
    context.live.delete(id);
  }
  // A dropped connection may be the API dying by itself: give its exit a moment to be seen, to say so.
  if (server && observation.error !== null && !observation.abandoned && !server.crashed()) {
    await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, EXIT_NOTICE_MS))]);
    // It did exit: its last words are read within a bounded drain.
    if (!server.running()) await server.exited;
  }

  const row: InvocationRow = {
    caseId: recorder.caseId,
    id,
    seq,
    role,
    key,
    argv: [sent.method, sent.path],
    exitCode: null,
    signal: null,
    killed: false,
    killReason: null,
    effect: effectFor(observation),
    stdoutJson: observation.bodyJson,
    stdout: observation.bodyText,
    stderr: '',
    outputTruncated: observation.bodyTruncated,
    startedMs,
    durationMs: observation.durationMs,
    targetKind: 'http',
    httpStatus: observation.httpStatus,
    responseHeaders: observation.headers,
    error: observation.error === null ? null : explainError(observation.error, server),
    request: sent,
  };
  recorder.addInvocation(row);
  return row;
}

/** Adds what happened to the API process, when a transport error is explained by it. */
function explainError(error: string, server: RunningServer | undefined): string {
  if (!server) return error;
  if (server.crashed()) return `${error}; the API process was killed by a crash fault`;
  if (!server.running()) {
    const output = server.outputTail().split('\n').slice(-3).join(' | ');
    return `${error}; the API process exited by itself${output ? ` (its output ends: ${output})` : ''}`;
  }
  return error;
}

function toObservation(observation: HttpObservation): Observation {
  return {
    exitCode: null,
    signal: null,
    killed: false,
    killReason: null,
    stdout: observation.bodyText,
    stderr: '',
    stdoutJson: observation.bodyJson,
    effect: effectFor(observation),
    outputTruncated: observation.bodyTruncated,
    durationMs: observation.durationMs,
  };
}
