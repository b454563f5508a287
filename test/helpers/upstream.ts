/**
 * Helpers for the upstream and fault tests: a model in an `UpstreamPipeline`
 * served by the real loopback server, a real HTTP client (undici, with its own
 * agent so nothing is shared between tests), and a ledger in a temporary folder
 * to write a case's rows into and read them back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import type { FaultBinding } from '../../src/core/schedule.js';
import { Ledger } from '../../src/ledger/ledger.js';
import type { CaseRows } from '../../src/ledger/rows.js';
import { CaseRecorder } from '../../src/runner/recorder.js';
import { startLoopbackServer, type LoopbackOptions, type LoopbackServer } from '../../src/upstream/loopback-server.js';
import type { UpstreamModel, UpstreamTraits } from '../../src/upstream/model.js';
import { mailerModel, type MailerOptions } from '../../src/upstream/models/mailer.js';
import { resourceModel, type ResourceOptions } from '../../src/upstream/models/resource.js';
import { UpstreamPipeline } from '../../src/upstream/pipeline.js';

export const HOLD_LIMIT_MS = 2_000;

export function charges(overrides: Partial<ResourceOptions> = {}): UpstreamModel {
  return resourceModel({
    path: '/charges',
    honoursIdempotencyKey: false,
    clientRefField: 'orderRef',
    noun: 'charge',
    ignoreFields: [],
    ...overrides,
  });
}

export function mailer(overrides: Partial<MailerOptions> = {}): UpstreamModel {
  return mailerModel({ path: '/messages', noun: 'email', ignoreFields: [], ...overrides });
}

/** What the client saw: a response, or an error (and how long it took either way). */
export interface ClientResult {
  status: number | null;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text, when it arrived whole. */
  text: string | null;
  /** The body parsed as JSON, when it was JSON. */
  json: unknown;
  error: { name: string; code: string | undefined; message: string } | null;
  /** The error reading the body (after the status arrived), e.g. for a truncation. */
  bodyError: { name: string; code: string | undefined; message: string } | null;
  ms: number;
}

export interface SendOptions {
  headers?: Record<string, string>;
  /** The client gives up (aborts, closing the socket) after this long. */
  timeoutMs?: number;
}

function describeError(error: unknown): { name: string; code: string | undefined; message: string } {
  const err = error as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  return { name: String(err?.name), code: err?.code ?? err?.cause?.code, message: String(err?.message) };
}

/** A started case: its recorder, and the calls the pipeline made to crash or restart the target. */
export interface StartedCase {
  recorder: CaseRecorder;
  crashCalls: number;
  /** For each crash call, whether the request row was already marked committed at that moment. */
  committedAtCrash: boolean[];
  restartCalls: number;
  /** For each restart call, the request row's delivery at that moment (the answer is out before the restart is asked for). */
  deliveryAtRestart: string[];
}

export class UpstreamHarness {
  private cases = 0;
  private readonly agent = new Agent({ keepAliveTimeout: 1_000 });

  private constructor(
    readonly pipeline: UpstreamPipeline,
    readonly server: LoopbackServer,
    readonly traits: ReadonlyMap<string, UpstreamTraits>,
  ) {}

  static async start(
    model: UpstreamModel,
    options: Partial<LoopbackOptions> & { name?: string } = {},
  ): Promise<UpstreamHarness> {
    const { name = 'payments', ...loopback } = options;
    const pipeline = new UpstreamPipeline(name, model);
    const server = await startLoopbackServer(pipeline, { holdLimitMs: HOLD_LIMIT_MS, ...loopback });
    return new UpstreamHarness(pipeline, server, new Map([[name, model.traits]]));
  }

  get url(): string {
    return this.server.url;
  }

  /** Begins a case on the pipeline with these faults. */
  begin(faults: FaultBinding[] = [], caseId?: string): StartedCase {
    this.cases += 1;
    const recorder = new CaseRecorder(caseId ?? `case-${this.cases}`, 'op');
    const started: StartedCase = { recorder, crashCalls: 0, committedAtCrash: [], restartCalls: 0, deliveryAtRestart: [] };
    this.pipeline.beginCase({
      faults,
      recorder,
      crashTarget: () => {
        started.crashCalls += 1;
        started.committedAtCrash.push(recorder.requests.at(-1)?.committed ?? false);
      },
      restartTarget: () => {
        started.restartCalls += 1;
        const row = recorder.requests.at(-1);
        started.deliveryAtRestart.push(row?.endedMs === null ? 'not yet' : (row?.delivery ?? 'none'));
      },
    });
    return started;
  }

  /** A fault binding for this harness's upstream. */
  fault(fault: string, ordinal = 1, extra: Partial<FaultBinding> = {}): FaultBinding {
    return { upstream: this.pipeline.name, ordinal, fault, ...extra };
  }

  async send(method: string, pathAndQuery: string, body?: unknown, options: SendOptions = {}): Promise<ClientResult> {
    const started = performance.now();
    const headers: Record<string, string> = { ...options.headers };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const result: ClientResult = { status: null, headers: {}, text: null, json: undefined, error: null, bodyError: null, ms: 0 };
    try {
      const response = await request(`${this.url}${pathAndQuery}`, {
        method: method as 'GET',
        headers,
        body: payload,
        dispatcher: this.agent,
        signal: options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs),
      });
      result.status = response.statusCode;
      result.headers = response.headers;
      try {
        result.text = await response.body.text();
        try {
          result.json = JSON.parse(result.text);
        } catch {
          // not JSON
        }
      } catch (error) {
        result.bodyError = describeError(error);
      }
    } catch (error) {
      result.error = describeError(error);
    }
    result.ms = performance.now() - started;
    return result;
  }

  post(pathAndQuery: string, body: unknown, options: SendOptions = {}): Promise<ClientResult> {
    return this.send('POST', pathAndQuery, body, options);
  }

  get(pathAndQuery: string, options: SendOptions = {}): Promise<ClientResult> {
    return this.send('GET', pathAndQuery, undefined, options);
  }

  async close(): Promise<void> {
    this.pipeline.endCase();
    await this.server.close();
    await this.agent.destroy();
  }
}

/** Waits until the server has delivered (or failed to deliver) every request of the case. */
export async function settled(recorder: CaseRecorder, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (recorder.requests.some((row) => row.endedMs === null)) {
    if (performance.now() > deadline) throw new Error(`requests still undelivered after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A ledger in a fresh temporary folder. */
export class TempLedger {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'retryproof-upstream-test-'));
  readonly ledger = new Ledger(path.join(this.dir, 'ledger.sqlite'));

  /** Waits for delivery, finishes the recorder, writes its rows and reads them back from SQLite. */
  async store(harness: UpstreamHarness, started: StartedCase): Promise<CaseRows> {
    await settled(started.recorder);
    const rows = started.recorder.finish(harness.traits);
    const caseId = started.recorder.caseId;
    this.ledger.recordCase({ id: caseId, operation: 'op', kind: 'systematic', scheduleJson: '{}' }, rows, () => []);
    return this.ledger.readCase(caseId);
  }

  close(): void {
    try {
      this.ledger.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Tries a TCP connection; resolves with the error code, or 'connected'. */
export function tryConnect(port: number, host = '127.0.0.1', timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code ?? String(error));
    });
  });
}
