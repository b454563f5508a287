import { getResponse } from 'msw';
import { faultNamed } from '../faults/registry.js';
import { none } from '../faults/none.js';
import type { Fault, Outcome } from '../faults/fault.js';
import type { Delivery, RequestOutcome, RequestRow } from '../ledger/rows.js';
import { bindingFor, type FaultBinding } from '../core/schedule.js';
import type { CaseRecorder } from '../runner/recorder.js';
import { runWithHandlerContext, type EffectInput, type HandlerContext } from './context.js';
import { parseIdempotencyKey } from './idempotency-key.js';
import type { UpstreamModel } from './model.js';
import { headerValue, jsonResponse } from './models/answer.js';
import { plainResponse, toRequest, type PlainResponse, type RawRequest } from './raw-request.js';

export type { PlainResponse, RawRequest } from './raw-request.js';

/** What one case gives an upstream: its faults, where to record, and how to crash or restart the target. */
export interface UpstreamSession {
  faults: readonly FaultBinding[];
  recorder: CaseRecorder;
  /** Kills the target's live invocations (for crash faults). */
  crashTarget(): void;
  /** Has the target restarted gracefully before the caller's next invocation (faults with `restartsTarget`). */
  restartTarget?(): void;
  /**
   * False for an Idempotency-Key the caller made for another case: that request is an
   * earlier case's late work (read late by a loaded harness, or sent late by the target),
   * so it is a stray, never this case's request #1. Absent: every key is the case's.
   */
  ownsKey?(key: string): boolean;
}

/** A fault's outcome, or (no fault, a built-in model's route) the answer as bytes, ready for a socket. */
export type RawOutcome = Outcome | { kind: 'plain'; plain: PlainResponse };

/** The pipeline's answer: the fault's outcome plus the ledger row to finish once delivered. */
export interface PipelineResult<O = Outcome> {
  outcome: O;
  /** Call when the outcome reached the client (or failed to). */
  delivered(delivery: Delivery, clientStatus: number | null): void;
  crashTarget(): void;
}

/** A request counted in the case: where it stands among the case's requests and the fault bound to it. */
interface Admitted {
  session: UpstreamSession;
  ordinal: number;
  method: string;
  url: URL;
  /** `METHOD /path`: the route a binding names, and the row's route unless a handler names another. */
  plainRoute: string;
  binding: FaultBinding | undefined;
  fault: Fault;
}

const utf8 = new TextDecoder();

/**
 * The environment-free core of an upstream: counts requests, picks the fault
 * bound to this one, runs the model when the fault lets the upstream commit,
 * and records the request and its effects. Servers (loopback or in-process)
 * only turn the outcome into bytes, silence or a reset.
 *
 * Two entry points, one behaviour: `handle` takes a WHATWG Request (msw's
 * in-process interception) and always runs the msw handlers; `handleRaw`
 * takes what the loopback server read from the socket and calls a built-in
 * model's fast route when it has one for the request, so the common request
 * builds no Request, runs no msw pipeline and no AsyncLocalStorage.
 */
export class UpstreamPipeline {
  private session: UpstreamSession | undefined;
  /** Where requests go while no case is running (see `serveStrays`); absent: they are refused unrecorded. */
  private strays: (() => UpstreamSession) | undefined;
  /** Answers of the running case not yet delivered (a held request waits for its client to go). */
  private pending = 0;
  private settled: Array<() => void> = [];
  private count = 0;
  private readonly routeCounts = new Map<string, number>();
  /**
   * `METHOD /raw/path` → the route a handler named for it (`POST /Charges/` →
   * `POST /charges`), learnt from the requests that reached a handler and kept
   * for the run (null: handlers named two routes for it). A request a fault kept
   * from the handler, or one before anything committed, gets the same name, so
   * a retry chain, a permanent-error chain or a key group does not split in two
   * at the first commit (issue 18, hole 5).
   */
  private readonly routeNames = new Map<string, string | null>();

  constructor(
    readonly name: string,
    readonly model: UpstreamModel,
  ) {}

  beginCase(session: UpstreamSession): void {
    this.session = session;
    this.count = 0;
    this.pending = 0;
    this.routeCounts.clear();
    this.model.reset();
  }

  /**
   * The case is over. Until the next one begins, requests are strays: served
   * by the model as it stands (the ended case's state, no fault) and recorded
   * where `serveStrays` says, so they count in no case and are never lost.
   */
  endCase(): void {
    this.session = undefined;
    this.count = 0;
    this.routeCounts.clear();
  }

  /** Records requests that arrive while no case is running in the session `current()` returns at that moment. */
  serveStrays(current: () => UpstreamSession): void {
    this.strays = current;
  }

  /** Requests of the running case whose answer has not been delivered yet. */
  inFlight(): number {
    return this.session ? this.pending : 0;
  }

  /**
   * Waits (at most capMs) until every answer of the case was delivered, so the
   * ledger gets a held request's end as the server saw it, not a half-written row.
   */
  async settle(capMs = 200): Promise<void> {
    if (this.pending === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, capMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.settled.push(done);
    });
  }

  /** Where a request goes: the running case, unless its key is another case's; else the strays (or nowhere). */
  private sessionFor(keyHeader: string | null): UpstreamSession | undefined {
    const running = this.session;
    if (running) {
      const key = keyHeader === null ? null : parseIdempotencyKey(keyHeader);
      if (key === null || running.ownsKey?.(key) !== false) return running;
    }
    return this.strays?.();
  }

  async handle(request: Request): Promise<PipelineResult> {
    const keyHeader = request.headers.get('idempotency-key');
    const session = this.sessionFor(keyHeader);
    if (!session) return straggler();
    const admitted = this.admit(session, request.method, new URL(request.url));
    const body = request.body ? await request.clone().text() : '';
    const row = this.startRow(admitted, keyHeader, body);
    if (session === this.session) this.pending += 1;
    const delay = admitted.binding?.params?.delayBeforeCommitMs;
    if (delay) await sleep(delay);
    const response = admitted.fault.commits ? await this.runHandlers(admitted, row, request, body) : null;
    return this.result(admitted, row, admitted.fault.outcome(response, admitted.binding?.params ?? {}, this.model.errorBody));
  }

  /** `handle` for a request read off a socket: the same counting, faults and rows. */
  async handleRaw(raw: RawRequest): Promise<PipelineResult<RawOutcome>> {
    const href = `http://${raw.host ?? '127.0.0.1'}${raw.url}`;
    const url = new URL(href);
    const fast = this.model.fast?.route(raw.method, url.pathname);
    // The loopback server used to build a Request first: one it refuses still fails before it counts.
    const request = fast ? undefined : toRequest(raw, href);
    if (fast && (url.username || url.password)) throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${href}`);
    const keyHeader = headerValue(raw.headers, 'idempotency-key');
    const session = this.sessionFor(keyHeader);
    if (!session) return straggler();
    const admitted = this.admit(session, raw.method, url);
    const hasBody = raw.method !== 'GET' && raw.method !== 'HEAD' && raw.body.length > 0;
    const body = hasBody ? utf8.decode(raw.body) : '';
    const row = this.startRow(admitted, keyHeader, body, session === this.session ? raw.invocationHint : undefined);
    if (session === this.session) this.pending += 1;
    const { fault, binding } = admitted;
    if (binding?.params?.delayBeforeCommitMs) await sleep(binding.params.delayBeforeCommitMs);
    if (!fault.commits) return this.result(admitted, row, fault.outcome(null, binding?.params ?? {}, this.model.errorBody));
    if (!fast) return this.result(admitted, row, fault.outcome(await this.runHandlers(admitted, row, request!, body), binding?.params ?? {}, this.model.errorBody));

    const report = new RequestReport(this.name, row);
    const answer = fast({ text: body, headers: raw.headers, url }, report);
    this.conclude(admitted, row, report, answer.status, true, body);
    // No fault: straight to bytes. A fault gets the Response msw would have made, so the fault catalog is unchanged.
    if (fault === none) return this.result(admitted, row, { kind: 'plain', plain: plainResponse(answer) });
    return this.result(admitted, row, fault.outcome(jsonResponse(answer), binding?.params ?? {}, this.model.errorBody));
  }

  /** Counts the request in the case and finds the fault bound to it. */
  private admit(session: UpstreamSession, method: string, url: URL): Admitted {
    const plainRoute = `${method} ${url.pathname}`;
    if (this.session && session !== this.session) {
      // A stray while a case runs: it takes none of the case's positions and none of its faults.
      return { session, ordinal: session.recorder.requests.length + 1, method, url, plainRoute, binding: undefined, fault: none };
    }
    this.count += 1;
    const ordinal = this.count;
    const routeOrdinal = (this.routeCounts.get(plainRoute) ?? 0) + 1;
    this.routeCounts.set(plainRoute, routeOrdinal);
    const binding =
      session.faults.length === 0
        ? undefined
        : bindingFor(session.faults, {
            upstream: this.name,
            ordinal,
            routeOrdinal: (route) => (route === plainRoute ? routeOrdinal : -1),
          });
    return { session, ordinal, method, url, plainRoute, binding, fault: faultNamed(binding?.fault ?? 'none') };
  }

  private startRow(admitted: Admitted, keyHeader: string | null, body: string, invocationHint?: number): RequestRow {
    const { session, url } = admitted;
    return session.recorder.startRequest(
      {
        upstream: this.name,
        ordinal: admitted.ordinal,
        method: admitted.method,
        path: url.pathname + url.search,
        route: this.routeNames.get(admitted.plainRoute) ?? admitted.plainRoute,
        idempotencyKey: parseIdempotencyKey(keyHeader),
        body,
        bodyFingerprint: '',
        fault: admitted.fault.name,
        committed: false,
        outcome: 'not-run',
        delivery: 'response',
        upstreamStatus: null,
        clientStatus: null,
      },
      invocationHint,
    );
  }

  /** The model's msw handlers, as custom upstreams are always served. */
  private async runHandlers(admitted: Admitted, row: RequestRow, request: Request, body: string): Promise<Response> {
    const report = new RequestReport(this.name, row);
    const handled = await runWithHandlerContext(report, () => getResponse(this.model.handlers, request));
    const response = handled ?? unmatched(admitted.plainRoute);
    this.conclude(admitted, row, report, response.status, handled !== undefined, body);
    return response;
  }

  /** Writes what the handler did into the row, and its effects. */
  private conclude(admitted: Admitted, row: RequestRow, report: RequestReport, status: number, matched: boolean, body: string): void {
    const reading = admitted.method === 'GET' || admitted.method === 'HEAD';
    // A handler that said nothing: a read, a refusal (an error status), or a write it did not record.
    row.outcome = !matched ? 'unmatched' : (report.outcome ?? (reading ? 'read' : status >= 400 ? 'rejected' : 'recorded-nothing'));
    row.upstreamStatus = status;
    for (const effect of report.effects) {
      if (effect.route) row.route = effect.route;
      row.committed = true;
      admitted.session.recorder.addEffect({
        upstream: this.name,
        route: effect.route ?? admitted.plainRoute,
        key: row.idempotencyKey,
        resourceId: effect.resourceId ?? null,
        requestId: row.id,
        body: effect.body === undefined ? body : typeof effect.body === 'string' ? effect.body : JSON.stringify(effect.body),
      });
    }
    if (row.route !== admitted.plainRoute) this.nameRoute(admitted, row.route);
  }

  /** Learns what a handler called a raw route, and names the case's earlier requests to it the same. */
  private nameRoute(admitted: Admitted, named: string): void {
    const known = this.routeNames.get(admitted.plainRoute);
    if (known === null || known === named) return;
    if (known !== undefined) {
      // Two names for one raw route (a handler that names routes by body): no guess for the next ones.
      this.routeNames.set(admitted.plainRoute, null);
      return;
    }
    this.routeNames.set(admitted.plainRoute, named);
    for (const earlier of admitted.session.recorder.requests) {
      if (earlier.upstream === this.name && earlier.route === admitted.plainRoute) earlier.route = named;
    }
  }

  private result<O>(admitted: Admitted, row: RequestRow, outcome: O): PipelineResult<O> {
    const session = admitted.session;
    return {
      outcome,
      delivered: (delivery, clientStatus) => {
        // A stray's answer, or one of a case that has ended since, is not the running case's to wait for.
        if (session === this.session) {
          this.pending = Math.max(0, this.pending - 1);
          if (this.pending === 0) for (const wake of this.settled.splice(0)) wake();
        }
        row.delivery = delivery;
        row.clientStatus = clientStatus;
        row.endedMs = session.recorder.now();
        session.recorder.touch();
        if (admitted.fault.restartsTarget) session.restartTarget?.();
      },
      crashTarget: () => session.crashTarget(),
    };
  }
}

/**
 * The handler context of one request: what its handler says it did. Called
 * as methods, by `recordEffect` and friends (through AsyncLocalStorage) or by
 * a built-in model's fast route (passed in).
 */
class RequestReport implements HandlerContext {
  outcome: RequestOutcome | undefined;
  readonly effects: EffectInput[] = [];

  constructor(
    readonly upstream: string,
    private readonly row: RequestRow,
  ) {}

  commit(effect: EffectInput = {}): void {
    this.effects.push(effect);
    this.outcome = 'committed';
  }

  replayed(): void {
    this.outcome = 'replayed';
  }

  rejected(): void {
    this.outcome = 'rejected';
  }

  unchanged(): void {
    this.outcome = 'unchanged';
  }

  route(route: string): void {
    this.row.route = route;
  }
}

/** A request while no case is running, where nothing records strays (a pipeline used on its own): refused. */
function straggler(): PipelineResult {
  return {
    outcome: { kind: 'respond', response: new Response('no case is running', { status: 503 }) },
    delivered: () => undefined,
    crashTarget: () => undefined,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function unmatched(route: string): Response {
  return new Response(JSON.stringify({ error: `retryproof: no handler of this upstream matches ${route}` }), {
    status: 404,
    headers: { 'content-type': 'application/json' },
  });
}
